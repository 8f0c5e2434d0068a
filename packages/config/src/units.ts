import bytes from 'bytes';
import ms from 'ms';

/**
 * Sizes and durations are parsed here, once, so every other package receives plain numbers.
 * Sizes use binary multiples as Docker does (`1KB` = 1024 bytes); durations use `ms` syntax.
 */

const SIZE_PATTERN = /^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|pb|kib|mib|gib|tib)?\s*$/i;
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
  const parsed = bytes.parse(value.replace(/ib$/i, 'b'));
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

/** The inverse of parseSize, used when printing the effective configuration. */
export function formatSize(value: number): string {
  if (value === 0) return '0';
  return bytes.format(value, { unitSeparator: '', decimalPlaces: 2 }) ?? String(value);
}

/** The inverse of parseDuration, used when printing the effective configuration. */
export function formatDuration(value: number): string {
  if (value === 0) return '0';
  return ms(value);
}
