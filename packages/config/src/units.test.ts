import { describe, expect, it } from 'vitest';
import { formatDuration, formatSize, parseDuration, parseSize, UnitParseError } from './units.js';

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['512', 512],
    ['100B', 100],
    ['1KB', 1024],
    ['500MB', 500 * 1024 ** 2],
    ['5GB', 5 * 1024 ** 3],
    ['5gb', 5 * 1024 ** 3],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['2MiB', 2 * 1024 ** 2],
    ['1PB', 1024 ** 5],
    ['1PiB', 1024 ** 5],
    [' 1.5GiB ', 1.5 * 1024 ** 3],
    ['10 MB', 10 * 1024 ** 2],
  ])('reads %j as %d bytes', (text, expected) => {
    expect(parseSize(text)).toBe(expected);
  });

  it('takes a whole number as bytes', () => {
    expect(parseSize(4096)).toBe(4096);
  });

  it.each([
    ['abc', 'expected a size such as "500MB", "5GB" or "0", got "abc"'],
    ['5 XB', 'expected a size such as "500MB", "5GB" or "0", got "5 XB"'],
    ['-5MB', 'expected a size such as "500MB", "5GB" or "0", got "-5MB"'],
    ['', 'expected a size such as "500MB", "5GB" or "0", got ""'],
  ])('rejects %j', (text, message) => {
    expect(() => parseSize(text)).toThrow(new UnitParseError(message));
  });

  it.each([
    [-1, 'expected a size such as "500MB" or a whole number of bytes, got -1'],
    [1.5, 'expected a size such as "500MB" or a whole number of bytes, got 1.5'],
  ])('rejects the number %d', (value, message) => {
    expect(() => parseSize(value)).toThrow(new UnitParseError(message));
  });
});

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['1500ms', 1500],
    ['45s', 45_000],
    ['30m', 30 * 60_000],
    ['24h', 24 * 3_600_000],
    ['7d', 7 * 86_400_000],
    ['2w', 14 * 86_400_000],
    ['1.5h', 90 * 60_000],
  ])('reads %j as %d ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it('takes the number 0', () => {
    expect(parseDuration(0)).toBe(0);
  });

  it.each([
    ['30', 'a duration needs a unit, e.g. "30s" or "30m"; got "30"'],
    ['soon', 'expected a duration such as "30m", "24h" or "0" (units ms, s, m, h, d, w), got "soon"'],
    ['5y', 'expected a duration such as "30m", "24h" or "0" (units ms, s, m, h, d, w), got "5y"'],
  ])('rejects %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(new UnitParseError(message));
  });

  it('rejects a bare number, which could mean seconds or minutes', () => {
    expect(() => parseDuration(30)).toThrow(
      new UnitParseError('a duration is a string with a unit, e.g. "30s" or "30m"; got 30'),
    );
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0'],
    [500 * 1024 ** 2, '500MB'],
    [50 * 1024 ** 2, '50MB'],
    [1.5 * 1024 ** 3, '1.5GB'],
    [2 * 1024 ** 4, '2TB'],
    [1000, '1000B'],
    [123_456_789, '123456789B'],
  ])('prints %d as %j', (value, text) => {
    expect(formatSize(value)).toBe(text);
  });

  it.each([0, 1, 1023, 1024, 1536, 123_456_789, 5 * 1024 ** 3 + 7, 1.25 * 1024 ** 2])(
    'prints %d so that it parses back to the same number',
    (value) => {
      expect(parseSize(formatSize(value))).toBe(value);
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0'],
    [30 * 60_000, '30m'],
    [24 * 3_600_000, '1d'],
    [25 * 3_600_000, '25h'],
    [36 * 3_600_000, '1.5d'],
    [90 * 60_000, '1.5h'],
    [1500, '1.5s'],
    [1234, '1234ms'],
  ])('prints %d as %j', (value, text) => {
    expect(formatDuration(value)).toBe(text);
  });

  it.each([0, 1, 999, 61_000, 25 * 3_600_000, 7 * 86_400_000 + 1])(
    'prints %d so that it parses back to the same number',
    (value) => {
      expect(parseDuration(formatDuration(value))).toBe(value);
    },
  );
});
