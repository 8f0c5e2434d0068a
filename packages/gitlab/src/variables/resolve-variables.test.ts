import { describe, expect, it } from 'vitest';
import type { CiVariable, VariableLevel } from './ci-variable.js';
import { limitToScope, type RemoteVariableSet, resolveRemoteVariables } from './resolve-variables.js';

const variable = (
  key: string,
  value: string,
  level: VariableLevel,
  extra: Partial<CiVariable> = {},
): CiVariable => ({
  key,
  value,
  variableType: 'env_var',
  protected: false,
  masked: false,
  hidden: false,
  raw: false,
  environmentScope: '*',
  description: undefined,
  level,
  ...extra,
});
const instance: VariableLevel = { kind: 'instance' };
const parent: VariableLevel = { kind: 'group', group: 'acme' };
const subgroup: VariableLevel = { kind: 'group', group: 'acme/platform' };
const project: VariableLevel = { kind: 'project', project: 'acme/platform/web-app' };

const set: RemoteVariableSet = {
  instance: [
    variable('REGISTRY', 'instance', instance),
    variable('DEPLOY_TOKEN', 'instance-token', instance, { protected: true }),
  ],
  groups: [
    {
      group: 'acme',
      variables: [
        variable('REGISTRY', 'acme', parent),
        variable('NPM_TOKEN', 'npm', parent, { masked: true }),
      ],
    },
    {
      group: 'acme/platform',
      variables: [
        variable('REGISTRY', 'platform', subgroup),
        variable('KUBE_CONTEXT', 'staging', subgroup),
        variable('KUBE_CONTEXT', 'production', subgroup, { environmentScope: 'production' }),
      ],
    },
  ],
  project: [
    variable('DEPLOY_URL', 'https://staging', project),
    variable('DEPLOY_URL', 'https://www', project, { environmentScope: 'production', protected: true }),
    variable('DEPLOY_URL', 'https://review', project, { environmentScope: 'review/*' }),
    variable('KUBECONFIG', 'apiVersion: v1', project, { variableType: 'file' }),
    variable('SENTRY_DSN', 'https://$SENTRY_KEY@sentry', project, { raw: true }),
  ],
  protectedRefs: { branches: ['main', 'release/*'], tags: ['v*'] },
};

const values = (resolved: ReturnType<typeof resolveRemoteVariables>) =>
  Object.fromEntries(resolved.map((v) => [v.key, v.value]));

describe('resolveRemoteVariables', () => {
  it('layers instance < top-level group < subgroup < project', () => {
    const resolved = resolveRemoteVariables(set, { ref: { kind: 'branch', name: 'feature/x' } });
    const registry = resolved.find((v) => v.key === 'REGISTRY')!;
    expect(registry.value).toBe('platform');
    expect(registry.level).toEqual(subgroup);
    expect(registry.overrides.map((v) => v.value)).toEqual(['instance', 'acme']);
  });

  it('gives protected variables to protected branches and tags only', () => {
    const feature = values(
      resolveRemoteVariables(set, { ref: { kind: 'branch', name: 'feature/x' }, environment: 'production' }),
    );
    expect(feature.DEPLOY_TOKEN).toBeUndefined();
    expect(feature.DEPLOY_URL).toBe('https://staging');
    const release = values(
      resolveRemoteVariables(set, {
        ref: { kind: 'branch', name: 'release/1.0' },
        environment: 'production',
      }),
    );
    expect(release.DEPLOY_TOKEN).toBe('instance-token');
    expect(release.DEPLOY_URL).toBe('https://www');
    expect(values(resolveRemoteVariables(set, { ref: { kind: 'tag', name: 'v1.0.0' } })).DEPLOY_TOKEN).toBe(
      'instance-token',
    );
    expect(
      values(resolveRemoteVariables(set, { ref: { kind: 'merge_request' } })).DEPLOY_TOKEN,
    ).toBeUndefined();
  });

  it("picks each level's variables for the job's environment", () => {
    const review = values(
      resolveRemoteVariables(set, { ref: { kind: 'branch', name: 'main' }, environment: 'review/login' }),
    );
    expect(review).toMatchObject({ DEPLOY_URL: 'https://review', KUBE_CONTEXT: 'staging' });
    const production = values(
      resolveRemoteVariables(set, { ref: { kind: 'branch', name: 'main' }, environment: 'production' }),
    );
    expect(production).toMatchObject({ DEPLOY_URL: 'https://www', KUBE_CONTEXT: 'production' });
    const none = values(resolveRemoteVariables(set, { ref: { kind: 'branch', name: 'main' } }));
    expect(none).toMatchObject({ DEPLOY_URL: 'https://staging', KUBE_CONTEXT: 'staging' });
  });

  it('keeps masked, raw and file attributes for the runner', () => {
    const resolved = resolveRemoteVariables(set, { ref: { kind: 'branch', name: 'main' } });
    expect(resolved.find((v) => v.key === 'NPM_TOKEN')).toMatchObject({ masked: true });
    expect(resolved.find((v) => v.key === 'KUBECONFIG')).toMatchObject({ variableType: 'file' });
    expect(resolved.find((v) => v.key === 'SENTRY_DSN')).toMatchObject({
      raw: true,
      value: 'https://$SENTRY_KEY@sentry',
    });
  });

  it('limits the levels to --secrets project or none', () => {
    const onlyProject = values(
      resolveRemoteVariables(limitToScope(set, 'project'), { ref: { kind: 'branch', name: 'main' } }),
    );
    expect(Object.keys(onlyProject).sort()).toEqual(['DEPLOY_URL', 'KUBECONFIG', 'SENTRY_DSN']);
    expect(
      resolveRemoteVariables(limitToScope(set, 'none'), { ref: { kind: 'branch', name: 'main' } }),
    ).toEqual([]);
  });
});
