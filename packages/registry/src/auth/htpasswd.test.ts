import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { HtpasswdUsers } from './htpasswd.js';

const hash = (password: string) => bcrypt.hashSync(password, 4);

describe('HtpasswdUsers', () => {
  it('accepts the right password and refuses a wrong one or an unknown user', async () => {
    const users = HtpasswdUsers.parse(`# comment\nalice:${hash('secret-a')}\n\nbob:${hash('secret-b')}\n`);
    expect(users.size).toBe(2);
    expect(await users.verify('alice', 'secret-a')).toBe(true);
    expect(await users.verify('alice', 'secret-b')).toBe(false);
    expect(await users.verify('bob', 'secret-b')).toBe(true);
    expect(await users.verify('carol', 'secret-a')).toBe(false);
  });

  it('accepts the $2y$ prefix that htpasswd -B writes', async () => {
    const users = HtpasswdUsers.parse(`alice:${hash('pw').replace(/^\$2b\$/, '$2y$')}`);
    expect(await users.verify('alice', 'pw')).toBe(true);
  });

  it.each([
    ['plaintext', 'alice:secret'],
    ['SHA1', 'alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ='],
    ['apr1 MD5', 'alice:$apr1$abc$0123456789abcdefghijkl'],
    ['no hash', 'alice'],
  ])('refuses a file with a %s entry, naming the line but not the content', (_kind, line) => {
    let message = '';
    try {
      HtpasswdUsers.parse(`ok:${hash('x')}\n${line}\n`, 'users.htpasswd');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^users\.htpasswd:2: /);
    expect(message).not.toContain('secret');
  });

  it('remembers a verified password only until the cache expires, and never a wrong one', async () => {
    let now = 1_000;
    const hashes = new Map([['alice', hash('pw')]]);
    const users = new HtpasswdUsers(hashes, { cacheMs: 100, now: () => now });
    expect(await users.verify('alice', 'pw')).toBe(true);
    hashes.set('alice', hash('changed'));
    expect(await users.verify('alice', 'pw')).toBe(true); // cached
    now += 101;
    expect(await users.verify('alice', 'pw')).toBe(false);
    expect(await users.verify('alice', 'changed')).toBe(true);
  });
});
