import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { createLogger } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { GitlabToken, guessScheme } from './token.js';

const SECRET = 'glpat-abcdefghijklmnopqrst';
const token = () => new GitlabToken(SECRET, { kind: 'env', variable: 'GITLAB_TOKEN' });

describe('GitlabToken', () => {
  it('never shows its value when printed, logged, interpolated or serialized', () => {
    const value = token();
    const shown = [
      JSON.stringify({ token: value }),
      String(value),
      `${value}`,
      inspect(value),
      inspect({ nested: { value } }, { depth: 5 }),
      format('%o %s %j', value, value, value),
    ];
    for (const text of shown) expect(text).not.toContain(SECRET);
    expect(inspect(value)).toBe(
      'GitlabToken(<redacted>, private, from the GITLAB_TOKEN environment variable)',
    );
    expect(JSON.stringify({ token: value })).toBe('{"token":"<redacted>"}');
  });

  it('stays out of the logger output even as metadata under an innocent key', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ stream, level: 'debug', json: true });
    logger.info('resolved instance', { credential: token(), instance: 'https://gitlab.example.com' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.join('')).toContain('resolved instance');
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('hands its value only to the request header and to git', () => {
    expect(token().authorizationHeader()).toEqual({ 'private-token': SECRET });
    expect(
      new GitlabToken('a'.repeat(64), { kind: 'config', file: '~/.glci/config.toml' }).authorizationHeader(),
    ).toEqual({
      authorization: `Bearer ${'a'.repeat(64)}`,
    });
    expect(token().password()).toEqual({ username: 'glci', password: SECRET });
    expect(new GitlabToken('x', { kind: 'env', variable: 'GITLAB_TOKEN' }, 'oauth').password().username).toBe(
      'oauth2',
    );
  });

  it('says where it came from', () => {
    expect(token().describeSource()).toBe('the GITLAB_TOKEN environment variable');
    expect(new GitlabToken('x', { kind: 'config', file: '~/.glci/config.toml' }).describeSource()).toBe(
      '[gitlab] token in ~/.glci/config.toml',
    );
  });

  it('tells OAuth tokens (64 hex characters) from access tokens, unless told', () => {
    expect(guessScheme('glpat-abcdefghijklmnopqrst')).toBe('private');
    expect(guessScheme('f'.repeat(64))).toBe('oauth');
    expect(guessScheme('aB3dE5gH7jK9mN1pQ3sT')).toBe('private');
    expect(new GitlabToken('f'.repeat(64), { kind: 'env', variable: 'GITLAB_TOKEN' }, 'private').scheme).toBe(
      'private',
    );
  });

  it('refuses an empty token', () => {
    expect(() => new GitlabToken('', { kind: 'env', variable: 'GITLAB_TOKEN' })).toThrow(/cannot be empty/);
  });
});
