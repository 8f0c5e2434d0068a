import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner, RUNNER_INFO, registerRunner } from '../test-support/fake-runner.js';
import { type Harness, startApi } from '../test-support/harness.js';

describe('runner endpoints', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startApi();
  });
  afterEach(() => h.close());

  const json = { 'Content-Type': 'application/json', Accept: 'application/json' };

  it('registers with the legacy registration token (201, exact JSON, no expiry)', async () => {
    const reply = await registerRunner(h.url, h.api.registrationToken, {
      description: 'laptop',
      tag_list: 'docker, linux',
      run_untagged: false,
    });
    expect(reply.status).toBe(201);
    expect(reply.headers.get('content-type')).toBe('application/json');
    const body = reply.json<{ id: number; token: string; token_expires_at: null }>();
    expect(body.id).toBeGreaterThan(0);
    // A legacy-registered runner's token has no glrt- prefix: the runner's `unregister` then
    // deletes the runner (DELETE /runners) rather than only its manager.
    expect(body.token).toMatch(/^\d+_[A-Za-z0-9_-]{32}$/);
    expect(body.token_expires_at).toBeNull();
    const runner = h.api.registerRunner().runner;
    expect(runner.id).toBe(body.id + 1);
  });

  it('refuses a wrong registration token with 403 and a message', async () => {
    const reply = await registerRunner(h.url, 'GR1348941wrong');
    expect(reply.status).toBe(403);
    expect(reply.json().message).toMatch(/registration token/);
  });

  it('verifies glrt- tokens with a non-zero id and null expiry', async () => {
    const { runner, token } = h.api.registerRunner({ tags: ['docker'] });
    const client = new FakeRunner(h.url, token);
    const reply = await client.call('POST', 'runners/verify', {
      headers: { ...json, 'RUNNER-TOKEN': token },
      body: JSON.stringify({ token, system_id: client.systemId, info: RUNNER_INFO }),
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json');
    expect(reply.json()).toEqual({ id: runner.id, token, token_expires_at: null });
  });

  it('answers a forged token, garbage JSON and wrong types with clear 4xx', async () => {
    const client = new FakeRunner(h.url, 'glrt-1_forged');
    const forged = await client.call('POST', 'runners/verify', {
      headers: json,
      body: JSON.stringify({ token: 'glrt-1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
    });
    expect(forged.status).toBe(403);
    const garbage = await client.call('POST', 'runners/verify', { headers: json, body: '{"token":' });
    expect(garbage.status).toBe(400);
    expect(garbage.json().message).toMatch(/JSON/);
    const wrongType = await client.call('POST', 'runners/verify', { headers: json, body: '{"token": 42}' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json().message).toMatch(/token/);
    const empty = await client.call('POST', 'runners/verify', { headers: json, body: '' });
    expect(empty.status).toBe(403);
    const array = await client.call('POST', 'runners', { headers: json, body: '[1,2]' });
    expect(array.status).toBe(400);
    const unknown = await client.call('GET', 'nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toMatch(/not found/);
  });

  it('unregisters runners and managers', async () => {
    const { token } = h.api.registerRunner();
    const client = new FakeRunner(h.url, token);
    const missingSystemId = await client.call('DELETE', 'runners/managers', {
      headers: json,
      body: JSON.stringify({ token }),
    });
    expect(missingSystemId.status).toBe(400);
    const manager = await client.call('DELETE', 'runners/managers', {
      headers: json,
      body: JSON.stringify({ token, system_id: client.systemId }),
    });
    expect(manager.status).toBe(204);
    const gone = await client.call('DELETE', 'runners', { headers: json, body: JSON.stringify({ token }) });
    expect(gone.status).toBe(204);
    const again = await client.call('DELETE', 'runners', { headers: json, body: JSON.stringify({ token }) });
    expect(again.status).toBe(403);
    const verify = await client.call('POST', 'runners/verify', {
      headers: json,
      body: JSON.stringify({ token }),
    });
    expect(verify.status).toBe(403);
    const managers = await client.call('DELETE', 'runners/managers', {
      headers: json,
      body: JSON.stringify({ token, system_id: 's_000000000000' }),
    });
    expect(managers.status).toBe(403);
  });

  it('does not rotate tokens and has no job router', async () => {
    const { token } = h.api.registerRunner();
    const client = new FakeRunner(h.url, token);
    const reset = await client.call('POST', 'runners/reset_authentication_token', {
      headers: json,
      body: JSON.stringify({ token }),
    });
    expect(reset.status).toBe(403);
    expect((await client.call('GET', 'runners/router/discovery')).status).toBe(501);
  });
});
