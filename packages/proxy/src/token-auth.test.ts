import { describe, expect, it } from 'vitest';
import { parseChallenge, parseRetryAfter, realmMayReceiveCredentials } from './token-auth.js';

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
