import { describe, expect, it } from 'vitest';
import { isValidRepositoryName, isValidTag, MAX_NAME_LENGTH } from './reference.js';

describe('repository names', () => {
  it.each(['a', 'library/alpine', 'a-b', 'a--b', 'a_b', 'a__b', 'a.b', 'a/b/c/d', 'x0/y1'])(
    'accepts %j',
    (name) => {
      expect(isValidRepositoryName(name)).toBe(true);
    },
  );

  it.each([
    '',
    'A',
    'a/',
    '/a',
    'a//b',
    '..',
    'a/../b',
    'a/./b',
    '-a',
    'a-',
    'a___b',
    'a..b',
    '_a',
    'a/_layers',
    'a%2fb',
    'a b',
    'ä',
    'a'.repeat(MAX_NAME_LENGTH + 1),
  ])('refuses %j', (name) => {
    expect(isValidRepositoryName(name)).toBe(false);
  });

  it('accepts a name of exactly the maximum length', () => {
    expect(isValidRepositoryName('a'.repeat(MAX_NAME_LENGTH))).toBe(true);
  });
});

describe('tags', () => {
  it.each(['latest', 'v1.0.0', '_private', 'A-b_c.d', 'sha256-abc', 't'.repeat(128)])('accepts %j', (tag) => {
    expect(isValidTag(tag)).toBe(true);
  });

  it.each(['', '.hidden', '-x', '..', 'a/b', 'a:b', 'a b', 't'.repeat(129), 'é'])('refuses %j', (tag) => {
    expect(isValidTag(tag)).toBe(false);
  });
});
