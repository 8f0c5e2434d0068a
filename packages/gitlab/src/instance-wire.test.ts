import { configSchema } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { resolveGitlabInstance } from './instance.js';
import { gitlabSessionSchema, instanceFromWire, instanceToWire } from './instance-wire.js';

const TOKEN = 'glpat-ada-maintainer-0000001';

describe("the instance's wire form (CLI to daemon)", () => {
  it('carries the instance, its token and the origin, and becomes the same instance again', () => {
    const instance = resolveGitlabInstance({
      config: configSchema.parse({ gitlab: { ca_file: '/etc/acme-ca.pem', secrets_ttl: '2h' } }).gitlab,
      env: { GITLAB_TOKEN: TOKEN, GITLAB_URL: 'https://gitlab.acme.test' },
      originUrl: 'git@gitlab.acme.test:acme/platform/web-app.git',
    });
    const wire = instanceToWire(instance, 'git@gitlab.acme.test:acme/platform/web-app.git');
    const session = gitlabSessionSchema.parse(JSON.parse(JSON.stringify({ instance: wire })));
    expect(session).toMatchObject({
      secrets: 'all',
      refreshSecrets: false,
      refreshIncludes: false,
      offline: false,
    });
    const back = instanceFromWire(session.instance);
    expect(back).toMatchObject({
      url: 'https://gitlab.acme.test',
      urlSource: { kind: 'env', variable: 'GITLAB_URL' },
      fqdn: 'gitlab.acme.test',
      caFile: '/etc/acme-ca.pem',
      secretsTtlMs: 2 * 3600_000,
      origin: { projectPath: 'acme/platform/web-app' },
    });
    expect(back.token?.authorizationHeader()).toEqual({ 'private-token': TOKEN });
    expect(back.token?.describeSource()).toBe('the GITLAB_TOKEN environment variable');
    // Back in a GitlabToken, it redacts itself again.
    expect(JSON.stringify(back)).not.toContain(TOKEN);
  });

  it('refuses what is not an instance, and leaves out an origin on another host', () => {
    expect(() => gitlabSessionSchema.parse({ instance: { url: 'https://x' } })).toThrow();
    const instance = resolveGitlabInstance({
      config: configSchema.parse({ gitlab: { url: 'https://gitlab.acme.test' } }).gitlab,
      env: {},
    });
    const back = instanceFromWire(instanceToWire(instance, 'https://github.com/acme/web-app.git'));
    expect(back.origin).toBeUndefined();
    expect(back.token).toBeUndefined();
  });
});
