import { describe, expect, it } from 'vitest';
import { runnerShortToken } from './runner-objects.js';

describe('runnerShortToken', () => {
  it("shortens tokens as the runner's ShortenToken does", () => {
    expect(runnerShortToken('glrt-1_abcdefghijklmnopqrstuvwxyz0123456')).toBe('1_abcdefg');
    expect(runnerShortToken('glcbt-12_abcdefghijkl')).toBe('12_abcdef');
    expect(runnerShortToken('3_abcdefghijkl')).toBe('3_abcdef');
  });
});
