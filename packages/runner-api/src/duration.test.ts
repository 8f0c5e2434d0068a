import { describe, expect, it } from 'vitest';
import { parseExpireIn } from './duration.js';
import { BadRequestError } from './errors.js';

describe('parseExpireIn', () => {
  it('reads GitLab durations', () => {
    expect(parseExpireIn('1 day')).toBe(86_400);
    expect(parseExpireIn('2 hrs 20 min')).toBe(8400);
    expect(parseExpireIn('3600')).toBe(3600);
    expect(parseExpireIn('1w 2d')).toBe(777_600);
    expect(parseExpireIn('30 minutes and 5 seconds')).toBe(1805);
    expect(parseExpireIn('never')).toBeUndefined();
  });

  it('refuses garbage', () => {
    for (const text of ['', 'soon', '1 fortnight', '5 days later!']) {
      expect(() => parseExpireIn(text)).toThrow(BadRequestError);
    }
  });
});
