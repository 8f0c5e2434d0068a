import { describe, expect, it } from 'vitest';
import { MemoryRunnerStore, normalizeTags, runnerMatches } from './runner-store.js';
import { TokenIssuer } from './tokens.js';

const store = () =>
  new MemoryRunnerStore({ tokens: new TokenIssuer('s'.repeat(32)), clock: { now: () => 1000 } });

describe('MemoryRunnerStore', () => {
  it('registers, verifies and unregisters', () => {
    const runners = store();
    const { runner, token } = runners.register({ description: 'r', tags: 'a, b,,a' as never });
    expect(runner.id).toBe(1);
    expect(token.startsWith('glrt-')).toBe(true);
    expect(runners.verify(token, 's_0123456789ab')?.id).toBe(1);
    expect([...runners.verify(token)!.managers]).toEqual(['s_0123456789ab']);
    expect(runners.unregisterManager(token, 's_0123456789ab')).toBe(true);
    expect(runners.unregisterManager(token, 's_0123456789ab')).toBe(false);
    expect(runners.unregister(token)).toBe(true);
    expect(runners.verify(token)).toBeUndefined();
    expect(runners.unregister(token)).toBe(false);
  });

  it('refuses unknown and forged tokens', () => {
    const runners = store();
    runners.register({});
    expect(runners.verify('glrt-1_xxx')).toBeUndefined();
    expect(runners.verify(new TokenIssuer('t'.repeat(32)).runnerToken(1))).toBeUndefined();
    expect(runners.verify(42)).toBeUndefined();
  });

  it('defaults run_untagged to true only for untagged runners', () => {
    const runners = store();
    expect(runners.register({}).runner.runUntagged).toBe(true);
    expect(runners.register({ tags: ['x'] }).runner.runUntagged).toBe(false);
    expect(runners.register({ tags: ['x'], runUntagged: true }).runner.runUntagged).toBe(true);
  });
});

describe('runnerMatches', () => {
  it('needs job tags ⊆ runner tags, and run_untagged for untagged jobs', () => {
    expect(runnerMatches({ tags: ['a', 'b'], runUntagged: false }, ['a'])).toBe(true);
    expect(runnerMatches({ tags: ['a'], runUntagged: true }, ['a', 'b'])).toBe(false);
    expect(runnerMatches({ tags: ['a'], runUntagged: false }, [])).toBe(false);
    expect(runnerMatches({ tags: [], runUntagged: true }, [])).toBe(true);
    expect(normalizeTags(' docker ,linux,docker')).toEqual(['docker', 'linux']);
  });
});
