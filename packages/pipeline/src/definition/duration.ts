const UNITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(?:s|secs?|seconds?)$/, 1],
  [/^(?:m|mins?|minutes?)$/, 60],
  [/^(?:h|hrs?|hours?)$/, 3600],
  [/^(?:d|days?)$/, 86400],
  [/^(?:w|wks?|weeks?)$/, 7 * 86400],
  [/^(?:mo|mos|months?)$/, 30 * 86400],
  [/^(?:y|yrs?|years?)$/, 365 * 86400],
];

/**
 * Seconds in a human duration as GitLab's ChronicDuration reads them (`timeout`, `start_in`,
 * `expire_in`): `3600`, `1h 30m`, `1 hour and 30 minutes`, `2 days`, `1.5h`. Undefined when the text
 * is not a duration.
 */
export function parseHumanDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.round(text) : undefined;
  const cleaned = text
    .trim()
    .toLowerCase()
    .replace(/,|\band\b/g, ' ');
  if (cleaned === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(cleaned)) return Math.round(Number(cleaned));
  let total = 0;
  let matched = false;
  const pattern = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
  let consumed = '';
  for (const match of cleaned.matchAll(pattern)) {
    const unit = UNITS.find(([regexp]) => regexp.test(match[2]!));
    if (!unit) return undefined;
    total += Number(match[1]) * unit[1];
    matched = true;
    consumed += match[0];
  }
  if (!matched || cleaned.replace(/\s+/g, '') !== consumed.replace(/\s+/g, '')) return undefined;
  return Math.round(total);
}
