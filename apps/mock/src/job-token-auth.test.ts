import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthRequest, NO_CREDENTIALS } from '@glci/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_TOKEN, jobTokenAuth, withinPath } from './job-token-auth.js';

const TOKEN = 'glcbt-7_valid';
const auth = jobTokenAuth({
  verifyJobToken: (token) => (token === TOKEN ? { jobId: 7, registryPath: 'group/demo' } : undefined),
});
const basic = (username: string, password: string) => ({ kind: 'basic' as const, username, password });
const bearer = (token: string) => ({ kind: 'bearer' as const, token });
const ask = (request: Partial<AuthRequest>) =>
  auth.authorize({ actions: [], credentials: NO_CREDENTIALS, origin: 'http://127.0.0.1:1', ...request });

describe('jobTokenAuth: authorize', () => {
  it('lets anyone read, whatever credentials they send', async () => {
    for (const credentials of [
      NO_CREDENTIALS,
      basic('gitlab-ci-token', 'stale'),
      bearer('x'),
      bearer(TOKEN),
    ]) {
      expect(await ask({ repository: 'any/repo', actions: ['pull'], credentials })).toEqual({
        kind: 'allow',
      });
      expect(await ask({ actions: ['pull'], catalog: true, credentials })).toEqual({ kind: 'allow' });
    }
  });

  it('with anonymousReads, lets only trusted connections read without a job token', async () => {
    const trusted = {
      local: 'http://10.1.0.2:39741',
      localAddress: '10.1.0.2',
      localPort: 39741,
      remoteAddress: '10.1.0.3',
    };
    const untrusted = { ...trusted, localPort: 39742 };
    const guarded = jobTokenAuth({
      verifyJobToken: (token) => (token === TOKEN ? { jobId: 7, registryPath: 'group/demo' } : undefined),
      anonymousReads: (connection) => connection?.localPort !== 39742,
    });
    const read = (connection: typeof trusted, credentials: AuthRequest['credentials']) =>
      guarded.authorize({
        repository: 'other/project',
        actions: ['pull'],
        credentials,
        origin: 'http://host.docker.internal:39741',
        connection,
      });
    expect(await read(trusted, NO_CREDENTIALS)).toEqual({ kind: 'allow' });
    expect(await read(untrusted, NO_CREDENTIALS)).toMatchObject({ kind: 'challenge' });
    expect(await read(untrusted, bearer(ANONYMOUS_TOKEN))).toMatchObject({
      kind: 'challenge',
      message: 'reading from here needs a job token',
    });
    expect(await read(untrusted, basic('gitlab-ci-token', 'stale'))).toMatchObject({ kind: 'challenge' });
    // Any running job may read (as CI_JOB_TOKEN pulls other projects' images on GitLab), never push elsewhere.
    expect(await read(untrusted, basic('gitlab-ci-token', TOKEN))).toEqual({ kind: 'allow' });
    expect(await read(untrusted, bearer(TOKEN))).toEqual({ kind: 'allow' });
  });

  it('challenges with the token flow: realm on the request origin, scope of the request', async () => {
    const decision = await ask({ repository: 'group/demo/app', actions: ['pull', 'push'] });
    expect(decision).toEqual({
      kind: 'challenge',
      challenge:
        'Bearer realm="http://127.0.0.1:1/jwt/auth",service="container_registry",scope="repository:group/demo/app:pull,push"',
      message: 'invalid or expired job token',
    });
    const base = await ask({});
    expect(base).toEqual({
      kind: 'challenge',
      challenge: 'Bearer realm="http://127.0.0.1:1/jwt/auth",service="container_registry"',
    });
  });

  it('challenges writes without a valid job token, and the anonymous token', async () => {
    for (const credentials of [
      NO_CREDENTIALS,
      basic('gitlab-ci-token', 'wrong'),
      basic('someone', TOKEN),
      bearer('wrong'),
      bearer(ANONYMOUS_TOKEN),
    ]) {
      for (const actions of [['pull', 'push'], ['delete']] as const) {
        expect((await ask({ repository: 'group/demo', actions, credentials })).kind).toBe('challenge');
      }
    }
  });

  it('answers /v2/ for any valid identity, the anonymous token included', async () => {
    expect((await ask({ credentials: bearer(ANONYMOUS_TOKEN) })).kind).toBe('allow');
    expect((await ask({ credentials: bearer(TOKEN) })).kind).toBe('allow');
    expect((await ask({ credentials: basic('gitlab-ci-token', TOKEN) })).kind).toBe('allow');
    expect((await ask({ credentials: bearer('forged') })).kind).toBe('challenge');
  });

  it('allows writes under the job path only, by bearer or Basic', async () => {
    for (const credentials of [basic('gitlab-ci-token', TOKEN), bearer(TOKEN)]) {
      for (const repository of ['group/demo', 'group/demo/app', 'group/demo/a/b']) {
        expect((await ask({ repository, actions: ['pull', 'push'], credentials })).kind).toBe('allow');
        expect((await ask({ repository, actions: ['delete'], credentials })).kind).toBe('allow');
      }
      for (const repository of ['group/demo-x', 'group', 'other/demo', 'group/dem']) {
        const decision = await ask({ repository, actions: ['pull', 'push'], credentials });
        expect(decision).toEqual({ kind: 'deny', message: 'job 7 may push only to group/demo and below it' });
      }
    }
  });

  it('accepts the configured user names', async () => {
    const custom = jobTokenAuth({ users: ['ci'], verifyJobToken: () => ({ jobId: 1, registryPath: 'a' }) });
    const request = { repository: 'a', actions: ['push'] as const, origin: 'x' };
    expect((await custom.authorize({ ...request, credentials: basic('ci', 't') })).kind).toBe('allow');
    expect((await custom.authorize({ ...request, credentials: basic('gitlab-ci-token', 't') })).kind).toBe(
      'challenge',
    );
  });
});

describe('jobTokenAuth: the token endpoint', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    const endpoint = auth.endpoints![0]!;
    expect(endpoint.path).toBe('/jwt/auth');
    server = http.createServer((req, res) => void endpoint.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwt/auth?service=container_registry`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const header = (username: string, password: string) => ({
    Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
  });

  it('gives a valid job token a bearer token that is the job token itself', async () => {
    const response = await fetch(`${url}&scope=repository:group/demo/app:pull,push`, {
      headers: header('gitlab-ci-token', TOKEN),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { token: string; access_token: string; expires_in: number };
    expect(body.token).toBe(TOKEN);
    expect(body.access_token).toBe(TOKEN);
    expect(body.expires_in).toBe(300);
  });

  it('gives anonymous clients the read-only token', async () => {
    const body = (await (await fetch(`${url}&scope=repository:x:pull`)).json()) as { token: string };
    expect(body.token).toBe(ANONYMOUS_TOKEN);
  });

  it.each([
    ['a wrong token', header('gitlab-ci-token', 'nope')],
    ['a wrong user', header('root', TOKEN)],
    ['a bearer header', { Authorization: `Bearer ${TOKEN}` }],
  ])('refuses %s with 401', async (_what, headers) => {
    const response = await fetch(url, { headers });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(TOKEN);
  });

  it('answers GET only', async () => {
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(405);
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
