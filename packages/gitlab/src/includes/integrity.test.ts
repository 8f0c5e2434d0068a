import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from '../errors.js';
import { integrityOf, parseIntegrity } from './integrity.js';

describe('include:remote integrity', () => {
  it('is sha256- and the base64 of the SHA-256 of the content', () => {
    // echo -n 'job: {script: [true]}' | openssl dgst -sha256 -binary | base64
    expect(integrityOf('job: {script: [true]}')).toBe('sha256-HQwjf4pgIwgOHJ4NjEW2Z/Bl0bl2Gz+vQs+xs8iTO8Y=');
    expect(parseIntegrity(integrityOf('x')).digest).toHaveLength(32);
  });

  it.each([
    'sha512-abc',
    'sha256-',
    'sha256-not base64!',
    'sha256-YWJj',
    'W+rtTVYeTY8m5B8nD3agQzre6TSuraIZSe+ikaBdr7Q=',
  ])('refuses %j, saying how to compute one', (value) => {
    expect(() => parseIntegrity(value)).toThrow(InvalidReferenceError);
    expect(() => parseIntegrity(value)).toThrow(/openssl dgst -sha256 -binary FILE \| base64/);
  });
});
