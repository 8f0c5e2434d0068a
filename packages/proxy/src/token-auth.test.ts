import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@glci/config';
import got from 'got';
import { describe, expect, it } from 'vitest';
import { parseChallenge, parseRetryAfter, realmMayReceiveCredentials, TokenAuth } from './token-auth.js';

describe('parseChallenge', () => {
  it('reads a Bearer challenge with quoted parameters', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/alpine:pull',
    });
  });

  it('reads Basic and refuses what it cannot use', () => {
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      realm: 'Registry Realm',
    });
    expect(parseChallenge('Bearer service="x"')).toBeUndefined();
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe('realmMayReceiveCredentials', () => {
  it.each([
    ['https://registry-1.docker.io', 'https://auth.docker.io/token', true],
    ['https://registry.gitlab.com', 'https://gitlab.com/jwt/auth', true],
    ['https://ghcr.io', 'https://ghcr.io/token', true],
    ['https://registry.gitlab.com', 'https://evil.example.com/token', false],
    ['https://registry.gitlab.com', 'https://gitlab.com.evil.io/token', false],
    // public suffixes are not a shared domain
    ['https://a.github.io', 'https://b.github.io/token', false],
    ['https://registry-1.docker.io', 'http://auth.docker.io/token', false],
    ['http://127.0.0.1:5000', 'http://127.0.0.1:6000/token', true],
    ['http://localhost:5000', 'http://127.0.0.1:6000/token', true],
    ['http://127.0.0.1:5000', 'https://auth.docker.io/token', false],
    ['https://registry.example.com', 'http://127.0.0.1:6000/token', false],
    ['http://10.0.0.1:5000', 'http://10.0.0.2/token', false],
    ['https://registry.example.com', 'file:///etc/passwd', false],
  ])('%s → %s: %s', (upstream, realm, allowed) => {
    expect(realmMayReceiveCredentials(upstream, realm)).toBe(allowed);
  });
});

describe('parseRetryAfter', () => {
  it('accepts seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', 0)).toBe(120);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

describe('TokenAuth against a token realm', () => {
  async function realm(expiresIn = 300) {
    const seen: { authorization: string | undefined; scope: string | null }[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ authorization: req.headers.authorization, scope: url.searchParams.get('scope') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: `t${seen.length}`, expires_in: expiresIn }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    return {
      url,
      seen,
      [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  const logger = createLogger({ silent: true });
  const credentials = { username: 'u', password: 'p' };
  const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;

  it('caches a token per scope until it expires, then fetches a new one', async () => {
    await using server = await realm(120);
    let now = 0;
    const auth = new TokenAuth({
      upstreamUrl: 'http://127.0.0.1:5000',
      credentials,
      http: got,
      clock: { now: () => now },
      logger,
    });
    const challenge = `Bearer realm="${server.url}",service="registry"`;
    expect(await auth.respond(challenge, 'repository:a:pull', undefined)).toBe('Bearer t1');
    expect(await auth.authorization('repository:a:pull')).toBe('Bearer t1');
    expect(await auth.authorization('repository:b:pull')).toBe('Bearer t2');
    now += 100_000; // inside 120 s minus the margin
    expect(await auth.authorization('repository:a:pull')).toBe('Bearer t1');
    now += 20_000;
    expect(await auth.authorization('repository:a:pull')).toBe('Bearer t3');
    expect(server.seen.map((request) => request.authorization)).toEqual([basic, basic, basic]);
    expect(server.seen.map((request) => request.scope)).toEqual([
      'repository:a:pull',
      'repository:b:pull',
      'repository:a:pull',
    ]);
  });

  it('asks anonymously without credentials, and one token serves concurrent requests', async () => {
    await using server = await realm();
    const auth = new TokenAuth({
      upstreamUrl: 'http://127.0.0.1:5000',
      http: got,
      clock: { now: () => 0 },
      logger,
    });
    await auth.respond(`Bearer realm="${server.url}"`, 'repository:a:pull', undefined);
    const headers = await Promise.all(
      Array.from({ length: 10 }, () => auth.authorization('repository:c:pull')),
    );
    expect(new Set(headers).size).toBe(1);
    expect(server.seen).toHaveLength(2);
    expect(server.seen.every((request) => request.authorization === undefined)).toBe(true);
  });

  it('never sends the credentials to a realm outside the upstream domain', async () => {
    await using server = await realm();
    const sent: (string | undefined)[] = [];
    // The foreign realm is served by the local server; the hook records what would have left.
    const http = got.extend({
      hooks: {
        beforeRequest: [
          (options) => {
            sent.push(options.headers.authorization as string | undefined);
            options.url = new URL(server.url);
          },
        ],
      },
    });
    const auth = new TokenAuth({
      upstreamUrl: 'https://registry.gitlab.com',
      credentials,
      http,
      clock: { now: () => 0 },
      logger,
    });
    expect(
      await auth.respond(
        'Bearer realm="https://tokens.attacker.example/token"',
        'repository:a:pull',
        undefined,
      ),
    ).toBe('Bearer t1');
    expect(sent).toEqual([undefined]);
    const own = new TokenAuth({
      upstreamUrl: 'https://registry.gitlab.com',
      credentials,
      http,
      clock: { now: () => 0 },
      logger,
    });
    await own.respond('Bearer realm="https://gitlab.com/jwt/auth"', 'repository:a:pull', undefined);
    expect(sent).toEqual([undefined, basic]);
  });

  it('answers Basic challenges with the credentials, and only once', async () => {
    const auth = new TokenAuth({
      upstreamUrl: 'http://127.0.0.1:5000',
      credentials,
      http: got,
      clock: { now: () => 0 },
      logger,
    });
    expect(await auth.respond('Basic realm="r"', undefined, undefined)).toBe(basic);
    expect(await auth.respond('Basic realm="r"', undefined, basic)).toBeUndefined();
    expect(await auth.authorization('repository:a:pull')).toBe(basic);
    const anonymous = new TokenAuth({
      upstreamUrl: 'http://127.0.0.1:5000',
      http: got,
      clock: { now: () => 0 },
      logger,
    });
    expect(await anonymous.respond('Basic realm="r"', undefined, undefined)).toBeUndefined();
  });
});
