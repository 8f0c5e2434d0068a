import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { anonymousAuth } from './anonymous-auth.js';
import { type AuthRequest, type Credentials, parseCredentials } from './authorizer.js';
import { basicAuth } from './basic-auth.js';
import { HtpasswdUsers } from './htpasswd.js';
import { readsAnonymous } from './reads-anonymous.js';

const users = HtpasswdUsers.parse(`alice:${bcrypt.hashSync('wonderland', 4)}`);
const basic = (username: string, password: string): Credentials => ({ kind: 'basic', username, password });
const request = (overrides: Partial<AuthRequest>): AuthRequest => ({
  repository: 'team/app',
  actions: ['pull'],
  credentials: { kind: 'none' },
  origin: 'http://127.0.0.1:5000',
  ...overrides,
});

describe('parseCredentials', () => {
  it('reads Basic and Bearer and ignores anything else', () => {
    const header = `Basic ${Buffer.from('alice:pa:ss').toString('base64')}`;
    expect(parseCredentials(header)).toEqual({ kind: 'basic', username: 'alice', password: 'pa:ss' });
    expect(parseCredentials('Bearer abc.def')).toEqual({ kind: 'bearer', token: 'abc.def' });
    expect(parseCredentials('Digest x')).toEqual({ kind: 'none' });
    expect(parseCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toEqual({ kind: 'none' });
    expect(parseCredentials(undefined)).toEqual({ kind: 'none' });
  });
});

describe('anonymousAuth', () => {
  it('allows everything', async () => {
    expect(await anonymousAuth()(request({ actions: ['push', 'delete'] }))).toEqual({ kind: 'allow' });
  });
});

describe('basicAuth', () => {
  const hook = basicAuth({ users, realm: 'test' });

  it('challenges without credentials and with a wrong password', async () => {
    expect(await hook(request({}))).toMatchObject({ kind: 'challenge', challenge: 'Basic realm="test"' });
    expect(await hook(request({ credentials: basic('alice', 'nope') }))).toMatchObject({ kind: 'challenge' });
  });

  it('allows a known user with the right password', async () => {
    expect(await hook(request({ credentials: basic('alice', 'wonderland'), actions: ['push'] }))).toEqual({
      kind: 'allow',
      subject: 'alice',
    });
  });

  it('denies what the permission function refuses', async () => {
    const limited = basicAuth({ users, permits: (_user, _repo, actions) => !actions.includes('delete') });
    expect(
      await limited(request({ credentials: basic('alice', 'wonderland'), actions: ['delete'] })),
    ).toMatchObject({
      kind: 'deny',
    });
  });
});

describe('readsAnonymous', () => {
  const auth = readsAnonymous(basicAuth({ users }));

  it('lets anonymous pulls through and challenges anonymous pushes and /v2/', async () => {
    expect(await auth.authorize(request({ actions: ['pull'] }))).toEqual({ kind: 'allow' });
    expect(await auth.authorize(request({ actions: ['pull', 'push'] }))).toMatchObject({ kind: 'challenge' });
    expect(await auth.authorize(request({ repository: undefined, actions: [] }))).toMatchObject({
      kind: 'challenge',
    });
  });

  it('still checks credentials that are given, even for pulls', async () => {
    expect(await auth.authorize(request({ credentials: basic('alice', 'bad') }))).toMatchObject({
      kind: 'challenge',
    });
    expect(
      await auth.authorize(request({ credentials: basic('alice', 'wonderland'), actions: ['push'] })),
    ).toMatchObject({ kind: 'allow' });
  });
});
