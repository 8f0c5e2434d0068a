import { configSchema } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { resolveGitlabInstance } from '../instance.js';
import { checkPassed, describeGitlab, formatGitlabText } from './describe-gitlab.js';

const instance = (env: Record<string, string>, gitlab: Record<string, unknown> = {}) =>
  resolveGitlabInstance({
    config: configSchema.parse({ gitlab }).gitlab,
    env,
    originUrl: 'git@gitlab.corp.test:team/app.git',
  });

describe('describeGitlab', () => {
  it('says where the instance and the token came from, and where includes are cached', () => {
    const description = describeGitlab(instance({ GITLAB_TOKEN: 'glpat-secret-value' }), '/home/ada/.glci');
    expect(description).toEqual({
      instance: {
        url: 'https://gitlab.corp.test',
        source: 'from the origin remote',
        fqdn: 'gitlab.corp.test',
      },
      token: { present: true, source: 'the GITLAB_TOKEN environment variable', header: 'PRIVATE-TOKEN' },
      project: 'team/app',
      access: 'api',
      caFile: undefined,
      timeoutMs: 30_000,
      secretsTtlMs: 21_600_000,
      includesTtlMs: 300_000,
      concurrency: 8,
      remoteMaxSize: 2 * 1024 * 1024,
      includeCache: '/home/ada/.glci/includes/gitlab%2Ecorp%2Etest',
    });
    expect(JSON.stringify(description)).not.toContain('glpat-secret-value');
    expect(formatGitlabText(description)).not.toContain('glpat-secret-value');
  });

  it('prints one row per setting, aligned', () => {
    const text = formatGitlabText(describeGitlab(instance({}, { secrets_ttl: '0' }), '/g'));
    expect(text.split('\n').slice(0, 3)).toEqual([
      'instance         https://gitlab.corp.test (from the origin remote)',
      'token            none (set GITLAB_TOKEN for private projects, CI/CD variables and the API)',
      'project          team/app',
    ]);
    expect(text).toContain('secrets ttl      0 (fetched every time)\n');
    expect(text).toContain('includes ttl     5m (moving refs: branches, ~latest, templates, remote files)\n');
  });

  it('passes a check that reached the instance with an accepted token and a visible project', () => {
    const base = describeGitlab(instance({}), '/g');
    expect(checkPassed(base)).toBe(false);
    expect(checkPassed({ ...base, check: { reachable: true, tokenAccepted: true } })).toBe(true);
    expect(checkPassed({ ...base, check: { reachable: true, tokenAccepted: false } })).toBe(false);
    expect(checkPassed({ ...base, check: { reachable: false } })).toBe(false);
    expect(
      checkPassed({ ...base, check: { reachable: true, project: { path: 'a/b', visible: false } } }),
    ).toBe(false);
  });
});
