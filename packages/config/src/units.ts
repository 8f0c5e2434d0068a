import bytes from 'bytes';
import ms from 'ms';

/**
 * Sizes and durations are parsed here, once, so every other package receives plain numbers.
 * Sizes use binary multiples as Docker does (`1KB` = 1024 bytes); durations use `ms` syntax.
 */

const SIZE_PATTERN = /^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|pb|kib|mib|gib|tib|pib)?\s*$/i;
const DURATION_PATTERN = /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w)?\s*$/i;

export class UnitParseError extends Error {}

/** Parses `"500MB"`, `"5GB"`, `"1.5GiB"`, `"0"` or a whole number of bytes. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new UnitParseError(`expected a size such as "500MB" or a whole number of bytes, got ${value}`);
    }
    return value;
  }
  if (!SIZE_PATTERN.test(value)) {
    throw new UnitParseError(`expected a size such as "500MB", "5GB" or "0", got ${JSON.stringify(value)}`);
  }
  // `bytes` knows KB/MB/...; the IEC spellings (KiB, MiB) mean the same binary multiples.
  const parsed = bytes.parse(value.trim().replace(/ib$/i, 'b'));
  if (parsed === null || !Number.isFinite(parsed)) {
    throw new UnitParseError(`expected a size such as "500MB", got ${JSON.stringify(value)}`);
  }
  return Math.floor(parsed);
}

/** Parses `"30m"`, `"24h"`, `"7d"`, `"0"` into milliseconds. A bare number means seconds is ambiguous, so it must be a string. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (value === 0) return 0;
    throw new UnitParseError(
      `a duration is a string with a unit, e.g. "${value}s" or "${value}m"; got ${value}`,
    );
  }
  if (!DURATION_PATTERN.test(value)) {
    throw new UnitParseError(
      `expected a duration such as "30m", "24h" or "0" (units ms, s, m, h, d, w), got ${JSON.stringify(value)}`,
    );
  }
  const trimmed = value.trim();
  // `ms` reads a unit-less number as milliseconds; only "0" is accepted without a unit.
  if (/^\d+(\.\d+)?$/.test(trimmed) && Number(trimmed) !== 0) {
    throw new UnitParseError(
      `a duration needs a unit, e.g. "${trimmed}s" or "${trimmed}m"; got ${JSON.stringify(value)}`,
    );
  }
  const parsed = ms(trimmed as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
    throw new UnitParseError(`expected a duration such as "30m", got ${JSON.stringify(value)}`);
  }
  return Math.round(parsed);
}

const SIZE_UNITS: readonly [string, number][] = [
  ['TB', 1024 ** 4],
  ['GB', 1024 ** 3],
  ['MB', 1024 ** 2],
  ['KB', 1024],
];

const DURATION_UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/**
 * The inverse of parseSize, used when printing the effective configuration: the largest unit that
 * keeps the value exact (`"500MB"`, `"1.5GB"`), else a number of bytes, so the output parses back
 * to the same number.
 */
export function formatSize(value: number): string {
  if (value === 0) return '0';
  return formatExact(value, SIZE_UNITS, 'B', parseSize);
}

/** The inverse of parseDuration, exact in the same way: `"30m"`, `"1.5h"`, `"25h"`, `"1500ms"`. */
export function formatDuration(value: number): string {
  if (value === 0) return '0';
  return formatExact(value, DURATION_UNITS, 'ms', parseDuration);
}

/** Up to two decimals (`1.5GB`), and only when the text parses back to exactly `value`. */
function formatExact(
  value: number,
  units: readonly [string, number][],
  base: string,
  parse: (text: string) => number,
): string {
  for (const [unit, multiple] of units) {
    if (value < multiple) continue;
    const hundredths = (value * 100) / multiple;
    if (!Number.isInteger(hundredths)) continue;
    const text = `${hundredths / 100}${unit}`;
    if (parse(text) === value) return text;
  }
  return `${value}${base}`;
}
