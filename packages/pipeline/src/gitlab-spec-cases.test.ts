import { describe, expect, it } from 'vitest';
import { PipelineConfigError } from './errors.js';
import { resolveJobVariables } from './job-spec.js';
import type { PlannedJob } from './plan/plan-types.js';
import { planFiles } from './test-support/fixtures.js';
import { GITLAB_SPEC_CASES, type JobFacts } from './test-support/gitlab-spec-cases.js';

/**
 * GitLab's own specs of its CI configuration, transcribed (`test-support/gitlab-spec-cases.ts`):
 * each configuration is planned for a push to `main`; GitLab's verdict must be glci's, with the
 * same jobs and attributes, or GitLab's message in glci's refusal.
 */

/** A planned job in the terms of `JobFacts`. */
function projectJob(job: PlannedJob): JobFacts {
  const variables = resolveJobVariables(job);
  const yaml: Record<string, string> = {};
  for (const [name, variable] of variables.variables)
    if (
      variable.source === 'yaml-global' ||
      variable.source === 'yaml-job' ||
      variable.source === 'rules' ||
      variable.source === 'matrix'
    )
      yaml[name] = variables.get(name) ?? '';
  return {
    stage: job.stage,
    when: job.when,
    allowFailure: job.allowFailure,
    ...(job.needs ? { needs: job.needs.map((need) => need.job) } : {}),
    ...(job.dependencies ? { dependencies: [...job.dependencies] } : {}),
    retry: {
      max: job.retry.max,
      ...(job.retry.when.length && job.retry.when.join() !== 'always' ? { when: job.retry.when } : {}),
      ...(job.retry.exitCodes.length ? { exitCodes: job.retry.exitCodes } : {}),
    },
    script: job.script,
    beforeScript: job.beforeScript,
    afterScript: job.afterScript,
    ...(job.image ? { image: job.image.name } : {}),
    services: job.services.map((service) => service.name),
    variables: yaml,
    timeoutSeconds: job.timeoutSeconds,
    ...(job.startInSeconds !== undefined ? { startInSeconds: job.startInSeconds } : {}),
    interruptible: job.interruptible,
    tags: job.tags,
    ...(job.environment ? { environment: job.environment.name } : {}),
    caches: job.caches.map((cache) => cache.key),
    ...(job.idTokens ? { idTokens: job.idTokens } : {}),
  };
}

async function verdict(yaml: string) {
  try {
    return {
      plan: await planFiles({ '.gitlab-ci.yml': yaml }, { context: { kind: 'branch', name: 'main' } }),
    };
  } catch (error) {
    if (error instanceof PipelineConfigError)
      return {
        refusal: error.issues
          .map((issue) => (issue.keyPath ? `${issue.keyPath} ${issue.message}` : issue.message))
          .join('\n'),
      };
    throw error;
  }
}

describe(`GitLab's specs, ${GITLAB_SPEC_CASES.length} cases`, () => {
  it.each(GITLAB_SPEC_CASES.map((each) => [`${each.area}: ${each.what}`, each] as const))(
    '%s',
    async (_, each) => {
      const result = await verdict(each.yaml);
      if (!each.accepted) {
        expect(result.refusal, 'GitLab refuses this configuration').toBeDefined();
        expect(result.refusal).toContain(each.error);
        return;
      }
      expect(result.refusal, 'GitLab accepts this configuration').toBeUndefined();
      const plan = result.plan!;
      if (each.jobs) expect(plan.jobs.map((job) => job.name)).toEqual(each.jobs);
      for (const [name, facts] of Object.entries(each.facts ?? {})) {
        const planned = plan.jobs.find((job) => job.name === name);
        expect(planned, `job ${name}`).toBeDefined();
        expect(projectJob(planned!)).toMatchObject(facts);
      }
    },
  );
});
