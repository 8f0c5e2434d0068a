import { parseDuration } from '@glci/config';
import { InvalidArgumentError } from 'commander';

/** `-n 100`: a whole number above zero. */
export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number <= 0) {
    throw new InvalidArgumentError('expected a whole number above 0');
  }
  return number;
}

/** `--timeout 90s`: a duration with a unit, in milliseconds. */
export function parseDurationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}
