import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, redactSecrets, redactText } from './redact.js';

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
    'cookie',
    'Set-Cookie',
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

describe('redactText', () => {
  it.each([
    ['https://ci-bot:S3cr3t@127.0.0.1:29999/v2/', 'https://<redacted>@127.0.0.1:29999/v2/'],
    ['git clone https://oauth2:glpat-1@gitlab.com/x.git', 'git clone https://<redacted>@gitlab.com/x.git'],
    ['s3://AKIA:wJal@bucket/prefix?region=eu', 's3://<redacted>@bucket/prefix?region=eu'],
    [
      'x?X-Amz-Credential=AKIA%2F2&X-Amz-Signature=ab12&X-Amz-Expires=300',
      'x?X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>&X-Amz-Expires=300',
    ],
    ['Authorization: Bearer eyJ.a.b', 'Authorization: Bearer <redacted>'],
    ['Basic dXNlcjpwYXNz', 'Basic <redacted>'],
    [
      'password=hunter2 token: glrt-x; secret="q w" end',
      'password=<redacted> token: <redacted>; secret="<redacted>" end',
    ],
    ['{"password":"p","user":"ada"}', '{"password":"<redacted>","user":"ada"}'],
  ])('redacts %j', (text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it.each([
    'http://127.0.0.1:5000/v2/library/alpine/manifests/latest',
    'the token was rejected: expired',
    'mail ada@example.org about it',
    'already <redacted>',
    'sha256:0123456789abcdef',
  ])('leaves %j alone', (text) => {
    expect(redactText(text)).toBe(text);
  });
});
