import type { CiVariable, RemoteVariableSet } from '@glci/gitlab/planning';
import { jobSpecSchema } from '@glci/runner-api';
import { describe, expect, it } from 'vitest';
import { resolveJobVariables, toJobSpec } from '../job-spec.js';
import { planFiles } from '../test-support/fixtures.js';

function variable(key: string, value: string | undefined, extra: Partial<CiVariable> = {}): CiVariable {
  return {
    key,
    value,
    variableType: 'env_var',
    protected: false,
    masked: false,
    hidden: false,
    raw: false,
    environmentScope: '*',
    description: undefined,
    level: { kind: 'project', project: 'group/app' },
    ...extra,
  };
}

const group = (name: string) => ({ level: { kind: 'group' as const, group: name } });

/** CI/CD variables as an instance would hand them out for group/app (the fixtures' project). */
const SET: RemoteVariableSet = {
  instance: [variable('HTTP_PROXY', 'http://proxy.internal:3128', { level: { kind: 'instance' } })],
  groups: [
    {
      group: 'group',
      variables: [
        variable('REGISTRY', 'registry.group.test', group('group')),
        variable('DEPLOY_TOKEN', 'group-deploy-token-1', {
          ...group('group'),
          protected: true,
          masked: true,
        }),
      ],
    },
  ],
  project: [
    variable('REGISTRY', 'registry.app.test'),
    variable('LEVEL', 'project'),
    variable('DEPLOY_URL', 'https://staging.test'),
    variable('DEPLOY_URL', 'https://review.test', { environmentScope: 'review/*' }),
    variable('DEPLOY_URL', 'https://www.test', { environmentScope: 'production' }),
    variable('KUBECONFIG', 'apiVersion: v1\n', { variableType: 'file' }),
    variable('SENTRY_DSN', 'https://$KEY@sentry.test/1', { raw: true }),
    variable('SIGNING_KEY', undefined, { hidden: true, masked: true }),
  ],
  protectedRefs: { branches: ['main'], tags: ['v*'] },
};

const CONFIG = `
variables:
  LEVEL: yaml-global
deploy:
  variables:
    LEVEL: yaml-job
    URL_SEEN: $DEPLOY_URL
  environment: review/$CI_COMMIT_REF_SLUG
  script: deploy
production:
  environment: production
  script: deploy
  rules:
    - if: $DEPLOY_URL == "https://www.test"
plain:
  script: test
`;

describe('CI/CD variables of the instance', () => {
  it("outrank the YAML's variables and rank below --env, instance < group < project", async () => {
    const plan = await planFiles(
      { '.gitlab-ci.yml': CONFIG },
      {
        context: { kind: 'branch', name: 'feature' },
        ciCd: { set: SET, scope: 'all' },
        layers: [{ source: 'cli-env', label: '--env', entries: [{ name: 'REGISTRY', value: 'cli' }] }],
      },
    );
    const plain = resolveJobVariables(plan.jobs.find((job) => job.name === 'plain')!);
    expect(plain.get('LEVEL')).toBe('project');
    expect(plain.variables.get('LEVEL')!.overridden.map((each) => each.source)).toEqual(['yaml-global']);
    expect(plain.get('REGISTRY')).toBe('cli');
    expect(plain.variables.get('REGISTRY')!.overridden.map((each) => each.label)).toEqual([
      'CI/CD variables of group group',
      'CI/CD variables of the project',
    ]);
    expect(plain.get('HTTP_PROXY')).toBe('http://proxy.internal:3128');
    expect(plain.variables.get('HTTP_PROXY')!.source).toBe('instance');
    const deploy = resolveJobVariables(plan.jobs.find((job) => job.name === 'deploy')!);
    expect(deploy.get('LEVEL')).toBe('project');
    expect(deploy.variables.get('LEVEL')!.overridden.map((each) => each.source)).toEqual([
      'yaml-global',
      'yaml-job',
    ]);
  });

  it('pick the environment_scope of each job (its environment expanded) and reach its rules', async () => {
    const plan = await planFiles(
      { '.gitlab-ci.yml': CONFIG },
      { context: { kind: 'branch', name: 'feature' }, ciCd: { set: SET, scope: 'all' } },
    );
    const deploy = resolveJobVariables(plan.jobs.find((job) => job.name === 'deploy')!);
    expect(deploy.get('DEPLOY_URL')).toBe('https://review.test');
    expect(deploy.variables.get('DEPLOY_URL')!.entry.ciCd).toEqual({
      level: 'project group/app',
      environmentScope: 'review/*',
      protected: false,
    });
    expect(deploy.get('URL_SEEN')).toBe('https://review.test');
    expect(resolveJobVariables(plan.jobs.find((job) => job.name === 'plain')!).get('DEPLOY_URL')).toBe(
      'https://staging.test',
    );
    // The production job's rule sees its own environment's value.
    expect(plan.jobs.map((job) => job.name)).toContain('production');
  });

  it('hand protected variables only to pipelines of protected refs (never to merge requests)', async () => {
    for (const [context, expected] of [
      [{ kind: 'branch', name: 'main' }, 'group-deploy-token-1'],
      [{ kind: 'tag', name: 'v1.0.0' }, 'group-deploy-token-1'],
      [{ kind: 'branch', name: 'feature' }, undefined],
      [{ kind: 'merge_request' }, undefined],
    ] as const) {
      const plan = await planFiles(
        { '.gitlab-ci.yml': 'plain:\n  script: test\n  rules: [{when: always}]\n' },
        {
          context,
          ...(context.kind === 'tag' ? { tags: ['v1.0.0'] } : {}),
          ciCd: { set: SET, scope: 'all' },
        },
      );
      expect(resolveJobVariables(plan.jobs[0]!).get('DEPLOY_TOKEN')).toBe(expected);
      expect(plan.context.protectedRef).toBe(expected !== undefined);
    }
  });

  it('reach the runner masked, raw and as files, without hidden ones, and --secrets project keeps only the project', async () => {
    const plan = await planFiles(
      { '.gitlab-ci.yml': 'plain:\n  script: test\n' },
      { context: { kind: 'branch', name: 'main' }, ciCd: { set: SET, scope: 'all' } },
    );
    expect(plan.warnings).toEqual([]);
    const spec = jobSpecSchema.parse(
      toJobSpec(plan, plan.jobs[0]!, { pipelineId: 1, projectPath: 'group/app' }),
    );
    expect(spec.pipeline_variables).toMatchObject({
      DEPLOY_TOKEN: { value: 'group-deploy-token-1', masked: true, file: false },
      KUBECONFIG: { value: 'apiVersion: v1\n', masked: false, file: true },
      SENTRY_DSN: { value: 'https://$KEY@sentry.test/1', raw: true },
    });
    expect(spec.pipeline_variables).not.toHaveProperty('SIGNING_KEY');
    expect(spec.git.protected).toBe(true);
    const projectOnly = await planFiles(
      { '.gitlab-ci.yml': 'plain:\n  script: test\n' },
      { context: { kind: 'branch', name: 'main' }, ciCd: { set: SET, scope: 'project' } },
    );
    const variables = resolveJobVariables(projectOnly.jobs[0]!);
    expect(variables.get('HTTP_PROXY')).toBeUndefined();
    expect(variables.get('DEPLOY_TOKEN')).toBeUndefined();
    expect(variables.get('REGISTRY')).toBe('registry.app.test');
  });
});
