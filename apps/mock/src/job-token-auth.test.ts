import { type AuthRequest, NO_CREDENTIALS } from '@glci/registry';
import { describe, expect, it } from 'vitest';
import { jobTokenAuth, withinPath } from './job-token-auth.js';

const TOKEN = 'glcbt-7_valid';
const auth = jobTokenAuth({
  verifyJobToken: (token) => (token === TOKEN ? { jobId: 7, registryPath: 'group/demo' } : undefined),
});
const basic = (username: string, password: string) => ({ kind: 'basic' as const, username, password });
const ask = (request: Partial<AuthRequest>) =>
  auth({ actions: [], credentials: NO_CREDENTIALS, origin: 'http://127.0.0.1:1', ...request });

describe('jobTokenAuth', () => {
  it('lets anyone read, whatever credentials they send', async () => {
    for (const credentials of [
      NO_CREDENTIALS,
      basic('gitlab-ci-token', 'stale'),
      { kind: 'bearer' as const, token: 'x' },
    ]) {
      expect(await ask({ repository: 'any/repo', actions: ['pull'], credentials })).toEqual({
        kind: 'allow',
      });
      expect(await ask({ actions: ['pull'], catalog: true, credentials })).toEqual({ kind: 'allow' });
    }
  });

  it('challenges /v2/ and writes without a valid job token', async () => {
    for (const credentials of [
      NO_CREDENTIALS,
      basic('gitlab-ci-token', 'wrong'),
      basic('someone', TOKEN),
      { kind: 'bearer' as const, token: TOKEN },
    ]) {
      for (const actions of [[], ['pull', 'push'], ['delete']] as const) {
        const decision = await ask({ repository: 'group/demo', actions, credentials });
        expect(decision.kind).toBe('challenge');
        expect(decision.kind === 'challenge' && decision.challenge).toMatch(/^Basic realm="/);
      }
    }
  });

  it('allows the login check and writes under the job path only', async () => {
    const credentials = basic('gitlab-ci-token', TOKEN);
    expect((await ask({ credentials })).kind).toBe('allow');
    for (const repository of ['group/demo', 'group/demo/app', 'group/demo/a/b']) {
      expect((await ask({ repository, actions: ['pull', 'push'], credentials })).kind).toBe('allow');
      expect((await ask({ repository, actions: ['delete'], credentials })).kind).toBe('allow');
    }
    for (const repository of ['group/demo-x', 'group', 'other/demo', 'group/dem']) {
      expect((await ask({ repository, actions: ['pull', 'push'], credentials })).kind).toBe('deny');
    }
  });

  it('accepts the configured user names', async () => {
    const custom = jobTokenAuth({ users: ['ci'], verifyJobToken: () => ({ jobId: 1, registryPath: 'a' }) });
    const request = { repository: 'a', actions: ['push'] as const, origin: 'x' };
    expect((await custom({ ...request, credentials: basic('ci', 't') })).kind).toBe('allow');
    expect((await custom({ ...request, credentials: basic('gitlab-ci-token', 't') })).kind).toBe('challenge');
  });
});

describe('withinPath', () => {
  it('matches the path and what is below it, never a sibling sharing a prefix', () => {
    expect(withinPath('g/p', 'g/p')).toBe(true);
    expect(withinPath('g/p/x', 'g/p')).toBe(true);
    expect(withinPath('g/px', 'g/p')).toBe(false);
    expect(withinPath('g', 'g/p')).toBe(false);
  });
});
