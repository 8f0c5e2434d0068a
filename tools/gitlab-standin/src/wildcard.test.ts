import { describe, expect, it } from 'vitest';
import { matchesProtectedName } from './wildcard.js';

describe("the stand-in's protected ref rules", () => {
  it.each([
    ['main', 'main', true],
    ['release/*', 'release/1.0', true],
    ['release/*', 'release', false],
    ['v*', 'v1.0.0', true],
    ['v*', 'main', false],
    ['*-stable', '1-0-stable', true],
  ] as const)('%j covers %j: %s', (rule, name, expected) => {
    expect(matchesProtectedName(rule, name)).toBe(expected);
  });
});
