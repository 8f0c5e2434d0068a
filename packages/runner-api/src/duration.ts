import { BadRequestError } from './errors.js';

const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86_400,
  day: 86_400,
  days: 86_400,
  w: 604_800,
  wk: 604_800,
  week: 604_800,
  weeks: 604_800,
  mo: 2_592_000,
  month: 2_592_000,
  months: 2_592_000,
  y: 31_536_000,
  yr: 31_536_000,
  year: 31_536_000,
  years: 31_536_000,
};

/**
 * GitLab's `expire_in` (`"1 day"`, `"2 hrs 20 min"`, `"3600"`, `"1w 2d"`, `"never"`) in seconds;
 * `undefined` for `never`. Throws `BadRequestError` for anything else.
 */
export function parseExpireIn(text: string): number | undefined {
  const input = text.trim().toLowerCase();
  if (input === 'never') return undefined;
  if (/^\d+$/.test(input)) return Number(input);
  const pattern = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:,|and)?\s*/gy;
  let total = 0;
  let consumed = 0;
  for (const match of input.matchAll(pattern)) {
    const unit = UNITS[match[2]!];
    if (unit === undefined) throw new BadRequestError(`expire_in: unknown unit "${match[2]}"`);
    total += Number(match[1]) * unit;
    consumed = (match.index ?? 0) + match[0].length;
  }
  if (consumed === 0 || consumed !== input.length)
    throw new BadRequestError(`expire_in: cannot parse "${text}"`);
  return Math.round(total);
}
