import bcrypt from 'bcryptjs';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../http/test-support/fixture.js';
import { HtpasswdUsers } from './htpasswd.js';
import { tokenAuth } from './token-auth.js';

const users = HtpasswdUsers.parse(`alice:${bcrypt.hashSync('wonderland', 4)}`);
const SECRET = 'token secret of at least thirty-two bytes';
const basicHeader = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function parseChallenge(header: string | null): Record<string, string> {
  expect(header).toMatch(/^Bearer /);
  return Object.fromEntries(
    [...(header as string).slice(7).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [
      m[1] as string,
      m[2] as string,
    ]),
  );
}

/** What a Docker client does: read the challenge, ask the realm for a token, retry with it. */
async function tokenFor(_registry: TestRegistry, challenge: Record<string, string>, authorization?: string) {
  const url = new URL(challenge.realm as string);
  url.searchParams.set('service', challenge.service as string);
  if (challenge.scope) url.searchParams.set('scope', challenge.scope);
  const response = await fetch(url, { headers: authorization ? { Authorization: authorization } : {} });
  return response;
}

/** A raw request (fetch cannot set `Host`) → the challenge header. */
async function challengeWithHost(url: string, host: string): Promise<string> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v2/team/app/tags/list`, { headers: { Host: host } }, (res) => {
      res.resume();
      resolve(String(res.headers['www-authenticate']));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('tokenAuth: where clients are sent for tokens', () => {
  it('builds the realm from the address the connection arrived at, never from the Host header', async () => {
    await using registry = await startTestRegistry({ auth: tokenAuth({ users, secret: SECRET }) });
    const challenge = parseChallenge(await challengeWithHost(registry.url, 'attacker.example:443'));
    expect(challenge.realm).toBe(`${registry.url}/auth/token`);
  });

  it('uses the configured realm, as text or read from a function', async () => {
    await using fixed = await startTestRegistry({
      auth: tokenAuth({ users, secret: SECRET, realm: 'https://r.example/token' }),
    });
    expect(parseChallenge(await challengeWithHost(fixed.url, 'x')).realm).toBe('https://r.example/token');
    let port = 0;
    await using lazy = await startTestRegistry({
      auth: tokenAuth({ users, secret: SECRET, realm: () => `https://r.example:${port}/token` }),
    });
    port = 8443;
    expect(parseChallenge(await challengeWithHost(lazy.url, 'x')).realm).toBe('https://r.example:8443/token');
  });

  it('/metrics needs a token like /v2/ does', async () => {
    await using registry = await startTestRegistry({ auth: tokenAuth({ users, secret: SECRET }) });
    const anonymous = await registry.fetch('/metrics');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('glci_registry');
    const token = await fetch(`${registry.url}/auth/token?service=glci-registry`, {
      headers: { Authorization: basicHeader('alice', 'wonderland') },
    });
    const { token: jwt } = (await token.json()) as { token: string };
    const metrics = await registry.fetch('/metrics', { headers: { Authorization: `Bearer ${jwt}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('glci_registry_http_requests_total');
  });
});

describe('tokenAuth (Docker token flow, end to end over HTTP)', () => {
  it('challenges, issues a scoped short-lived JWT for valid credentials, and accepts it', async () => {
    await using registry = await startTestRegistry({ auth: tokenAuth({ users, secret: SECRET }) });
    const ping = await registry.fetch('/v2/');
    expect(ping.status).toBe(401);
    const base = parseChallenge(ping.headers.get('www-authenticate'));
    expect(base).toEqual({ realm: `${registry.url}/auth/token`, service: 'glci-registry' });

    const push = await registry.fetch('/v2/team/app/blobs/uploads/', { method: 'POST' });
    expect(push.status).toBe(401);
    const challenge = parseChallenge(push.headers.get('www-authenticate'));
    expect(challenge.scope).toBe('repository:team/app:pull,push');

    const tokenResponse = await tokenFor(registry, challenge, basicHeader('alice', 'wonderland'));
    expect(tokenResponse.status).toBe(200);
    const body = (await tokenResponse.json()) as {
      token: string;
      access_token: string;
      expires_in: number;
      issued_at: string;
    };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    const claims = decodeJwt(body.token);
    expect(claims).toMatchObject({
      sub: 'alice',
      aud: 'glci-registry',
      iss: 'glci',
      access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);

    const bearer = { Authorization: `Bearer ${body.token}` };
    expect((await registry.fetch('/v2/', { headers: bearer })).status).toBe(200);
    const retried = await registry.fetch('/v2/team/app/blobs/uploads/', { method: 'POST', headers: bearer });
    expect(retried.status).toBe(202);

    // The token is for team/app only.
    const elsewhere = await registry.fetch('/v2/team/other/blobs/uploads/', {
      method: 'POST',
      headers: bearer,
    });
    expect(elsewhere.status).toBe(401);
    expect(parseChallenge(elsewhere.headers.get('www-authenticate'))).toMatchObject({
      scope: 'repository:team/other:pull,push',
      error: 'insufficient_scope',
    });
    // Nor does it grant delete.
    const del = await registry.fetch('/v2/team/app/manifests/v1', { method: 'DELETE', headers: bearer });
    expect(del.status).toBe(401);
  });

  it('refuses wrong passwords at the token endpoint, and forged or foreign tokens at the registry', async () => {
    await using registry = await startTestRegistry({ auth: tokenAuth({ users, secret: SECRET }) });
    const challenge = parseChallenge(
      (await registry.fetch('/v2/a/tags/list')).headers.get('www-authenticate'),
    );
    const wrong = await tokenFor(registry, challenge, basicHeader('alice', 'guess'));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAUTHORIZED');
    // Anonymous clients get a token that grants nothing, so the registry refuses them at once.
    const anonymous = await tokenFor(registry, challenge);
    expect(anonymous.status).toBe(200);
    const { token: empty } = (await anonymous.json()) as { token: string };
    expect(decodeJwt(empty)).toMatchObject({ sub: 'anonymous', access: [] });
    expect(
      (await registry.fetch('/v2/a/tags/list', { headers: { Authorization: `Bearer ${empty}` } })).status,
    ).toBe(401);

    await using other = await startTestRegistry({ auth: tokenAuth({ users, secret: `${SECRET}, another` }) });
    const foreignChallenge = parseChallenge(
      (await other.fetch('/v2/a/tags/list')).headers.get('www-authenticate'),
    );
    const foreign = (await (
      await tokenFor(other, foreignChallenge, basicHeader('alice', 'wonderland'))
    ).json()) as {
      token: string;
    };
    const refused = await registry.fetch('/v2/a/tags/list', {
      headers: { Authorization: `Bearer ${foreign.token}` },
    });
    expect(refused.status).toBe(401);
    expect(parseChallenge(refused.headers.get('www-authenticate')).error).toBe('invalid_token');
    const garbage = await registry.fetch('/v2/a/tags/list', {
      headers: { Authorization: 'Bearer not.a.jwt' },
    });
    expect(garbage.status).toBe(401);
  });

  it('another node with the same secret accepts the token', async () => {
    await using a = await startTestRegistry({ auth: tokenAuth({ users, secret: SECRET }) });
    await using b = await startTestRegistry({ auth: tokenAuth({ users, secret: SECRET }) });
    const challenge = parseChallenge((await a.fetch('/v2/x/tags/list')).headers.get('www-authenticate'));
    const { token } = (await (await tokenFor(a, challenge, basicHeader('alice', 'wonderland'))).json()) as {
      token: string;
    };
    const response = await b.fetch('/v2/x/tags/list', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404); // authorized; the repository just does not exist
  });

  it('expired tokens are refused', async () => {
    let now = Date.now();
    await using registry = await startTestRegistry({
      auth: tokenAuth({ users, secret: SECRET, expiresInSeconds: 60, now: () => now }),
    });
    const challenge = parseChallenge(
      (await registry.fetch('/v2/x/tags/list')).headers.get('www-authenticate'),
    );
    const { token } = (await (
      await tokenFor(registry, challenge, basicHeader('alice', 'wonderland'))
    ).json()) as {
      token: string;
    };
    const headers = { Authorization: `Bearer ${token}` };
    expect((await registry.fetch('/v2/x/tags/list', { headers })).status).toBe(404);
    now += 61_000;
    expect((await registry.fetch('/v2/x/tags/list', { headers })).status).toBe(401);
  });

  it('with anonymousPull, anonymous clients get pull-only tokens', async () => {
    await using registry = await startTestRegistry({
      auth: tokenAuth({ users, secret: SECRET, anonymousPull: true }),
    });
    const push = await registry.fetch('/v2/pub/app/blobs/uploads/', { method: 'POST' });
    const challenge = parseChallenge(push.headers.get('www-authenticate'));
    const response = await tokenFor(registry, challenge);
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    expect(decodeJwt(token)).toMatchObject({
      sub: 'anonymous',
      access: [{ type: 'repository', name: 'pub/app', actions: ['pull'] }],
    });
    const headers = { Authorization: `Bearer ${token}` };
    expect((await registry.fetch('/v2/pub/app/tags/list', { headers })).status).toBe(404);
    expect((await registry.fetch('/v2/pub/app/blobs/uploads/', { method: 'POST', headers })).status).toBe(
      401,
    );
  });

  it('grants the catalog only to authenticated users', async () => {
    await using registry = await startTestRegistry({
      auth: tokenAuth({ users, secret: SECRET, anonymousPull: true }),
    });
    const catalog = await registry.fetch('/v2/_catalog');
    const challenge = parseChallenge(catalog.headers.get('www-authenticate'));
    expect(challenge.scope).toBe('registry:catalog:*');
    const anonymous = (await (await tokenFor(registry, challenge)).json()) as { token: string };
    expect(
      (await registry.fetch('/v2/_catalog', { headers: { Authorization: `Bearer ${anonymous.token}` } }))
        .status,
    ).toBe(401);
    const alice = (await (
      await tokenFor(registry, challenge, basicHeader('alice', 'wonderland'))
    ).json()) as {
      token: string;
    };
    expect(
      (await registry.fetch('/v2/_catalog', { headers: { Authorization: `Bearer ${alice.token}` } })).status,
    ).toBe(200);
  });
});
