import { configSchema } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { GitlabSetupError } from './errors.js';
import { normalizeInstanceUrl, resolveGitlabInstance } from './instance.js';

const config = (gitlab: Record<string, unknown> = {}) => configSchema.parse({ gitlab }).gitlab;

describe('resolveGitlabInstance', () => {
  it('takes GITLAB_URL first, then [gitlab] url, then the origin remote, then gitlab.com', () => {
    const origin = 'git@gitlab.corp.test:team/app.git';
    expect(
      resolveGitlabInstance({
        config: config({ url: 'https://configured.test' }),
        env: { GITLAB_URL: 'https://from-env.test/' },
        originUrl: origin,
      }),
    ).toMatchObject({ url: 'https://from-env.test', urlSource: { kind: 'env', variable: 'GITLAB_URL' } });
    expect(
      resolveGitlabInstance({
        config: config({ url: 'https://configured.test' }),
        env: {},
        originUrl: origin,
      }),
    ).toMatchObject({ url: 'https://configured.test', urlSource: { kind: 'config' } });
    expect(resolveGitlabInstance({ config: config(), env: {}, originUrl: origin })).toMatchObject({
      url: 'https://gitlab.corp.test',
      urlSource: { kind: 'origin' },
      fqdn: 'gitlab.corp.test',
    });
    expect(resolveGitlabInstance({ config: config(), env: {} })).toMatchObject({
      url: 'https://gitlab.com',
      urlSource: { kind: 'default' },
    });
  });

  it('takes [gitlab] token before GITLAB_TOKEN, and has none without either', () => {
    const fromConfig = resolveGitlabInstance({
      config: config({ token: 'glpat-from-config' }),
      env: { GITLAB_TOKEN: 'glpat-from-env' },
      userConfigFile: '~/.glci/config.toml',
    });
    expect(fromConfig.token?.describeSource()).toBe('[gitlab] token in ~/.glci/config.toml');
    expect(fromConfig.token?.authorizationHeader()).toEqual({ 'private-token': 'glpat-from-config' });
    const fromEnv = resolveGitlabInstance({ config: config(), env: { GITLAB_TOKEN: 'glpat-from-env' } });
    expect(fromEnv.token?.describeSource()).toBe('the GITLAB_TOKEN environment variable');
    expect(resolveGitlabInstance({ config: config(), env: {} }).token).toBeUndefined();
    expect(resolveGitlabInstance({ config: config({ token: '' }), env: {} }).token).toBeUndefined();
  });

  it("keeps the origin's git access only when it points at the same instance", () => {
    const same = resolveGitlabInstance({
      config: config({ url: 'https://gitlab.corp.test' }),
      env: {},
      originUrl: 'git@gitlab.corp.test:team/app.git',
    });
    expect(same.origin?.projectPath).toBe('team/app');
    const other = resolveGitlabInstance({
      config: config({ url: 'https://gitlab.com' }),
      env: {},
      originUrl: 'git@gitlab.corp.test:team/app.git',
    });
    expect(other.origin).toBeUndefined();
  });

  it('passes the timeout, secrets and includes TTLs, CA, concurrency and remote size limit through', () => {
    const instance = resolveGitlabInstance({
      config: config({
        ca_file: '/etc/corp-ca.pem',
        timeout: '5s',
        secrets_ttl: '1h',
        includes_ttl: '0',
        concurrency: 3,
      }),
      env: {},
    });
    expect(instance).toMatchObject({
      caFile: '/etc/corp-ca.pem',
      timeoutMs: 5_000,
      secretsTtlMs: 3_600_000,
      includesTtlMs: 0,
      concurrency: 3,
      remoteMaxSize: 2 * 1024 * 1024,
    });
  });
});

describe('normalizeInstanceUrl', () => {
  it('drops trailing slashes and keeps a relative URL root', () => {
    expect(normalizeInstanceUrl('https://gitlab.example.com/')).toBe('https://gitlab.example.com');
    expect(normalizeInstanceUrl('https://example.com/gitlab/')).toBe('https://example.com/gitlab');
  });

  it.each([
    ['gitlab.example.com', /is not a URL/],
    ['ftp://gitlab.example.com', /must start with https:\/\/ or http:\/\//],
    ['https://user:pw@gitlab.example.com', /must not carry credentials/],
  ])('refuses %s', (url, message) => {
    expect(() => normalizeInstanceUrl(url)).toThrow(GitlabSetupError);
    expect(() => normalizeInstanceUrl(url)).toThrow(message);
  });
});
