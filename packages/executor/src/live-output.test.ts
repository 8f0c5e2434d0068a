import { describe, expect, it } from 'vitest';
import { nanosAfter } from './live-output.js';

describe('nanosAfter', () => {
  it("asks Docker for the log lines strictly after a line's time", () => {
    expect(nanosAfter('2026-12-07T17:25:01.123456789Z')).toBe(
      `${Date.parse('2026-12-07T17:25:01Z') / 1000}.123456790`,
    );
    // Docker trims trailing zeros; a carry moves to the next second.
    expect(nanosAfter('2026-12-07T17:25:01.5Z')).toBe(
      `${Date.parse('2026-12-07T17:25:01Z') / 1000}.500000001`,
    );
    expect(nanosAfter('2026-12-07T17:25:01.999999999Z')).toBe(
      `${Date.parse('2026-12-07T17:25:02Z') / 1000}.000000000`,
    );
  });
});
