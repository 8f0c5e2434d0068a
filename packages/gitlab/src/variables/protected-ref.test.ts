import { describe, expect, it } from 'vitest';
import { isProtectedRef, matchesProtectedRule } from './protected-ref.js';

describe("protected refs, as GitLab's ProtectedRefMatcher matches them", () => {
  it.each([
    ['main', 'main', true],
    ['main', 'main2', false],
    ['release/*', 'release/1.0', true],
    ['release/*', 'release/1.0/hotfix', true],
    ['release/*', 'release', false],
    ['*-stable', '16-8-stable', true],
    ['v*', 'v1.0.0', true],
    ['v*', 'V1.0.0', false],
    ['v1.*', 'v1x0', false],
    ['', 'main', false],
  ] as const)('rule %j covers %j: %s', (rule, name, expected) => {
    expect(matchesProtectedRule(rule, name)).toBe(expected);
  });

  it('looks up branches among branch rules and tags among tag rules; a merge request ref is never protected', () => {
    const rules = { branches: ['main', 'release/*'], tags: ['v*'] };
    expect(isProtectedRef({ kind: 'branch', name: 'release/2.0' }, rules)).toBe(true);
    expect(isProtectedRef({ kind: 'branch', name: 'v1.0.0' }, rules)).toBe(false);
    expect(isProtectedRef({ kind: 'tag', name: 'v1.0.0' }, rules)).toBe(true);
    expect(isProtectedRef({ kind: 'tag', name: 'main' }, rules)).toBe(false);
    expect(isProtectedRef({ kind: 'merge_request' }, rules)).toBe(false);
  });
});
