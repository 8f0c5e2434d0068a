import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('replaces secrets at any depth, in tables and in arrays of tables', () => {
    const config = {
      registry: {
        url: 'https://registry.corp',
        username: 'ada',
        password: 'hunter2',
        upstreams: [{ url: 'https://a', password: 'p1' }, { url: 'https://b' }],
      },
      runner: { token: 'glrt-abc', shared_secret: 'x' },
    };
    expect(redactSecrets(config)).toEqual({
      registry: {
        url: 'https://registry.corp',
        username: 'ada',
        password: REDACTED,
        upstreams: [{ url: 'https://a', password: REDACTED }, { url: 'https://b' }],
      },
      runner: { token: REDACTED, shared_secret: REDACTED },
    });
  });

  it('leaves the original untouched', () => {
    const config = { password: 'hunter2' };
    redactSecrets(config);
    expect(config.password).toBe('hunter2');
  });

  it('does not invent a secret where none is set', () => {
    expect(redactSecrets({ password: '', token: undefined })).toEqual({ password: '', token: undefined });
  });

  it('redacts a whole table held under a secret key', () => {
    expect(redactSecrets({ auth: { user: 'a', pass: 'b' } })).toEqual({ auth: REDACTED });
  });

  it('keeps errors and dates as they are', () => {
    const error = new Error('boom');
    const date = new Date(0);
    const redacted = redactSecrets({ error, date });
    expect(redacted.error).toBe(error);
    expect(redacted.date).toBe(date);
  });
});

describe('isSecretKey', () => {
  it.each([
    'password',
    'PASSWORD',
    'registry_password',
    'token',
    'accessToken',
    'access_token',
    'job-token',
    'secret',
    'secret_access_key',
    'secretAccessKey',
    'private_key',
    'api_key',
    'Authorization',
    'auth',
  ])('treats %j as a secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['username', 'url', 'insecure', 'token_url', 'tokens', 'author', 'cache_validity_hours'])(
    'treats %j as public',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );
});
