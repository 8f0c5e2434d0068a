import { describe, expect, it } from 'vitest';
import { RubyFloat, RubySymbol, rubyFloatText, ScalarProblem } from './ruby-scalars.js';
import { createPlainScalarResolver } from './yaml11-schema.js';

describe('createPlainScalarResolver', () => {
  const resolver = createPlainScalarResolver();
  const resolve = (text: string) => resolver.resolve(text);

  it('reads booleans and nulls as Psych does, not as YAML 1.1 lists them', () => {
    expect(resolve('yes')).toBe(true);
    expect(resolve('yEs')).toBe(true);
    expect(resolve('Off')).toBe(false);
    expect(resolve('y')).toBe('y');
    expect(resolve('N')).toBe('N');
    expect(resolve('~')).toBeNull();
    expect(resolve('')).toBeNull();
    expect(resolve('NULL')).toBeNull();
  });

  it('reads integers with Ruby’s Integer(): commas, octal, big values', () => {
    expect(resolve('0755')).toBe(493);
    expect(resolve('0x1F')).toBe(31);
    expect(resolve('1_000')).toBe(1000);
    expect(resolve('1,000')).toBe(1000);
    expect(resolve('08')).toBe('08');
    expect(resolve('12345678901234567890')).toBe(12345678901234567890n);
    expect(resolve('0x_')).toEqual(new ScalarProblem('invalid value for Integer(): "0x"'));
  });

  it('keeps floats apart from integers, with Ruby’s to_s', () => {
    expect(resolve('1.0')).toEqual(new RubyFloat(1));
    expect(String(resolve('1.0'))).toBe('1.0');
    expect(String(resolve('.inf'))).toBe('Infinity');
    expect(resolve('1e3')).toBe('1e3');
    expect(String(resolve('1.0e+3'))).toBe('1000.0');
    expect(rubyFloatText(1e17)).toBe('1.0e+17');
    expect(rubyFloatText(0.00001)).toBe('1.0e-05');
    expect(rubyFloatText(0.0001)).toBe('0.0001');
    expect(rubyFloatText(1.5e-7)).toBe('1.5e-07');
    expect(rubyFloatText(123456789012345680)).toBe('1.2345678901234568e+17');
    expect(rubyFloatText(-0)).toBe('-0.0');
  });

  it('reads base 60 with Psych’s own arithmetic, symbols, and refuses dates', () => {
    expect(resolve('190:20:30')).toBe(685230);
    expect(resolve('12:30')).toBe(45000);
    expect(resolve(':foo')).toEqual(new RubySymbol('foo'));
    expect(resolve('2001-12-14')).toEqual(new ScalarProblem('Tried to load unspecified class: Date'));
    expect(resolve('2001-12-14 21:59:43.10 -5')).toEqual(
      new ScalarProblem('Tried to load unspecified class: Time'),
    );
    expect(resolve('2001-13-14')).toBe('2001-13-14');
    expect(resolve('node:22')).toBe('node:22');
    expect(resolve('<<')).toBe('<<');
  });
});
