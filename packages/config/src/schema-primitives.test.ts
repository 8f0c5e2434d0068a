import { describe, expect, it } from 'vitest';
import { duration, httpUrl, size, unitRegistry } from './schema-primitives.js';

describe('schema primitives', () => {
  it('parse sizes and durations with a default, tagged for printing back', () => {
    expect(size('2MB').parse(undefined)).toBe(2 * 1024 * 1024);
    expect(duration('30s').parse('1m')).toBe(60_000);
    expect(duration('30s').parse(undefined)).toBe(30_000);
    const inner = (schema: { unwrap(): unknown }) => schema.unwrap() as never;
    expect(unitRegistry.get(inner(size('1KB')))).toEqual({ unit: 'size' });
    expect(unitRegistry.get(inner(duration('1s')))).toEqual({ unit: 'duration' });
  });

  it('say what was expected of a bad size, duration or URL', () => {
    expect(size('1KB').safeParse('lots').error?.issues[0]?.message).toBe(
      'expected a size such as "500MB", "5GB" or "0", got "lots"',
    );
    expect(duration('1s').safeParse('5').error?.issues[0]?.message).toBe(
      'a duration needs a unit, e.g. "5s" or "5m"; got "5"',
    );
    expect(httpUrl.safeParse('ftp://x').error?.issues[0]?.message).toBe(
      'expected an http:// or https:// URL',
    );
  });
});
