// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the config syntax under test.
import { describe, expect, it } from 'vitest';
import { expandEnvironment, isPlainObject } from './env.js';

describe('expandEnvironment', () => {
  const env = { USER_NAME: 'ada', TOKEN: 's3cr3t', EMPTY: '' };

  it('resolves $VAR and ${VAR} in strings', () => {
    const { value, unset } = expandEnvironment(
      { registry: { username: '$USER_NAME', password: '${TOKEN}', url: 'https://${USER_NAME}.example' } },
      env,
    );
    expect(value).toEqual({
      registry: { username: 'ada', password: 's3cr3t', url: 'https://ada.example' },
    });
    expect(unset).toEqual([]);
  });

  it('reads $$ as a literal dollar sign', () => {
    expect(expandEnvironment('cost: $$5 and $$TOKEN', env).value).toBe('cost: $5 and $TOKEN');
  });

  it('resolves a variable set to the empty string to the empty string', () => {
    expect(expandEnvironment('a${EMPTY}b', env)).toEqual({ value: 'ab', unset: [] });
  });

  it('leaves a $ that starts no name alone', () => {
    expect(expandEnvironment('price $ 5 and $1', env).value).toBe('price $ 5 and $1');
  });

  it('names every unset variable with the key path it is under', () => {
    const { unset } = expandEnvironment(
      { registry: { upstreams: [{ url: 'https://x' }, { password: '$NOPE' }] }, cache: { ttl: '${GONE}' } },
      env,
    );
    expect(unset).toEqual([
      { path: ['registry', 'upstreams', 1, 'password'], variable: 'NOPE' },
      { path: ['cache', 'ttl'], variable: 'GONE' },
    ]);
  });

  it('expands strings inside arrays and leaves numbers, booleans and dates as they are', () => {
    const date = new Date('2024-01-01T00:00:00Z');
    const { value } = expandEnvironment({ list: ['$USER_NAME', 3, true], when: date }, env);
    expect(value).toEqual({ list: ['ada', 3, true], when: date });
  });

  it('does not change its input', () => {
    const input = { a: '$USER_NAME' };
    expandEnvironment(input, env);
    expect(input).toEqual({ a: '$USER_NAME' });
  });
});

describe('isPlainObject', () => {
  it('accepts object literals and null-prototype objects (what the TOML parser makes)', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
  });

  it('rejects arrays, dates, errors and null', () => {
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(new Date())).toBe(false);
    expect(isPlainObject(new Error('x'))).toBe(false);
    expect(isPlainObject(null)).toBe(false);
  });
});
