import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, TOKENS } from '../test-support/fixtures.js';
import { ancestorPaths, fetchRemoteVariables } from './fetch-variables.js';
import { resolveRemoteVariables } from './resolve-variables.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

const WEB_APP = 'acme/platform/web-app';

describe('fetchRemoteVariables', () => {
  it("reads the project's, every ancestor group's and the protected refs, every page", async () => {
    const { set, unavailable } = await fetchRemoteVariables(clientFor(standin, TOKENS.ada), WEB_APP);
    expect(set.groups.map((group) => group.group)).toEqual(['acme', 'acme/platform']);
    expect(set.project.map((v) => v.key)).toContain('KUBECONFIG_STAGING');
    expect(set.protectedRefs).toEqual({ branches: ['main', 'release/*'], tags: ['v*'] });
    expect(set.instance).toEqual([]);
    expect(unavailable).toEqual([
      "instance CI/CD variables: 403 (403 Forbidden): the token's user may not read this (CI/CD variables and protected branches need the Maintainer role)",
    ]);
  });

  it('reads instance variables with an administrator token', async () => {
    const { set, unavailable } = await fetchRemoteVariables(clientFor(standin, TOKENS.root), WEB_APP);
    expect(set.instance.map((v) => v.key)).toEqual(['ACME_HTTP_PROXY', 'DEPLOY_TOKEN']);
    expect(unavailable).toEqual([]);
  });

  it('leaves out what a Developer may not read, and says so', async () => {
    const { set, unavailable } = await fetchRemoteVariables(clientFor(standin, TOKENS.bob), WEB_APP);
    expect(set.project).toEqual([]);
    expect(set.protectedRefs).toEqual({ branches: [], tags: [] });
    expect(unavailable).toHaveLength(6);
    expect(unavailable[0]).toMatch(/^CI\/CD variables of acme\/platform\/web-app: 403 \(403 Forbidden\)/);
  });

  it('reads only the project with --secrets project', async () => {
    const before = standin.requests.length;
    const { set } = await fetchRemoteVariables(clientFor(standin, TOKENS.ada), WEB_APP, { scope: 'project' });
    expect(set.groups).toEqual([]);
    expect(
      standin.requests.slice(before).some((r) => r.path.includes('/groups/') || r.path.includes('/admin/')),
    ).toBe(false);
  });

  it('gives a job on main in production what GitLab would', async () => {
    const { set } = await fetchRemoteVariables(clientFor(standin, TOKENS.root), WEB_APP);
    const resolved = resolveRemoteVariables(set, {
      ref: { kind: 'branch', name: 'main' },
      environment: 'production',
    });
    const byKey = Object.fromEntries(resolved.map((v) => [v.key, v]));
    expect(byKey.ACME_REGISTRY?.value).toBe('registry.platform.acme.test');
    expect(byKey.KUBE_CONTEXT?.value).toBe('acme/agents:production');
    expect(byKey.DEPLOY_URL?.value).toBe('https://www.acme.test');
    expect(byKey.DEPLOY_TOKEN).toMatchObject({
      value: 'acme-group-deploy-token',
      level: { kind: 'group', group: 'acme' },
    });
    expect(byKey.PROD_DEPLOY_KEY).toMatchObject({ masked: true, protected: true });
    expect(byKey.KUBECONFIG_STAGING?.variableType).toBe('file');
    expect(byKey.SIGNING_KEY).toMatchObject({ hidden: true, value: undefined });
    expect(byKey.ACME_CI_REMOTE?.value).toBe(`${standin.remote.url}/ci`);
    const feature = resolveRemoteVariables(set, {
      ref: { kind: 'branch', name: 'feature/login' },
      environment: 'production',
    });
    expect(feature.find((v) => v.key === 'PROD_DEPLOY_KEY')).toBeUndefined();
    expect(feature.find((v) => v.key === 'DEPLOY_URL')?.value).toBe('https://staging.acme.test');
  });
});

describe('ancestorPaths', () => {
  it('lists a namespace and its ancestors, top-level first', () => {
    expect(ancestorPaths('a/b/c')).toEqual(['a', 'a/b', 'a/b/c']);
  });
});
