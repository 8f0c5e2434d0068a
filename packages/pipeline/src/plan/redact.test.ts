import type { RemoteVariableSet } from '@glci/gitlab/planning';
import { describe, expect, it } from 'vitest';
import { planToJson } from '../format/format-plan.js';
import { resolveJobVariables } from '../job-spec.js';
import { planFiles } from '../test-support/fixtures.js';
import { dropRedactedCiCd, REDACTED, redactCiCdValues } from './redact.js';

const level = { kind: 'project' as const, project: 'group/app' };
const variable = (key: string, value: string, masked = false) => ({
  key,
  value,
  variableType: 'env_var' as const,
  protected: false,
  masked,
  hidden: false,
  raw: false,
  environmentScope: '*',
  description: undefined,
  level,
});
const SET: RemoteVariableSet = {
  instance: [],
  groups: [],
  project: [variable('DEPLOY_TOKEN', 'secret-deploy-token', true), variable('TARGET', 'production')],
  protectedRefs: { branches: [], tags: [] },
};
const CONFIG = `
variables:
  GREETING: hello
deploy:
  script: deploy
  rules:
    - if: $TARGET == "production" && $DEPLOY_TOKEN
child:
  trigger:
    include: child.yml
`;

describe('redactCiCdValues', () => {
  it('hides every CI/CD value, and what rule traces read of them, wherever the plan is written', async () => {
    const plan = await planFiles(
      { '.gitlab-ci.yml': CONFIG, 'child.yml': 'job:\n  script: echo $TARGET\n' },
      { context: { kind: 'branch', name: 'main' }, ciCd: { set: SET, scope: 'all' } },
    );
    const redacted = redactCiCdValues(plan);
    const text = JSON.stringify(redacted);
    expect(text).not.toContain('secret-deploy-token');
    expect(text).not.toContain('"production"');
    expect(text).toContain('"hello"');
    const deploy = redacted.jobs.find((job) => job.name === 'deploy')!;
    expect(deploy.ruleTrace[0]!.if!.variables).toEqual({ TARGET: REDACTED, DEPLOY_TOKEN: REDACTED });
    expect(resolveJobVariables(deploy).variables.get('TARGET')!.entry).toMatchObject({
      value: REDACTED,
      ciCd: { level: 'project group/app', environmentScope: '*', protected: false },
    });
    // The plan in memory keeps its values; planToJson writes the redacted one.
    expect(resolveJobVariables(plan.jobs.find((job) => job.name === 'deploy')!).get('TARGET')).toBe(
      'production',
    );
    expect(JSON.stringify(planToJson(plan))).not.toContain('secret-deploy-token');
  });

  it('leaves a plan read back after a restart without the redacted values, rather than with [REDACTED]', async () => {
    const plan = await planFiles(
      { '.gitlab-ci.yml': CONFIG, 'child.yml': 'job:\n  script: echo\n' },
      { context: { kind: 'branch', name: 'main' }, ciCd: { set: SET, scope: 'all' } },
    );
    const restored = dropRedactedCiCd(JSON.parse(JSON.stringify(redactCiCdValues(plan))));
    const deploy = resolveJobVariables(restored.jobs.find((job) => job.name === 'deploy')!);
    expect(deploy.get('TARGET')).toBeUndefined();
    expect(deploy.get('GREETING')).toBe('hello');
  });
});
