import { DaemonHttpError } from '@glci/daemon';
import { type FetchProgress, GitlabError } from '@glci/gitlab';
import {
  assertRunnable,
  formatPipelineIssue,
  PipelineConfigError,
  type PipelinePlan,
  type PlanProjectOptions,
  planProject,
} from '@glci/pipeline';
import type { z } from 'zod';
import type { GitlabService } from './gitlab-service.js';
import type { Planning } from './run-planning.js';
import type { runRequestSchema } from './run-request.js';

/** A `glci run` request's plan, how it was made, and the context it ran in as the CLI prints it. */
export interface PlannedRequest {
  readonly plan: PipelinePlan;
  readonly planning: Planning;
  readonly contextText: string;
}

/**
 * Plans a `glci run` request's pipeline, through a GitLab connection when the request has one. A
 * `merge_request` context that creates nothing falls back to the branch pipeline when the user did
 * not ask for a context, as GitLab runs the push pipeline. Planning errors become the daemon's HTTP
 * errors: the configuration's issues a 422, a usage error a 400, GitLab's a 502.
 */
export async function planRequest(
  request: z.output<typeof runRequestSchema>,
  gitlabService: GitlabService | undefined,
  progress: { readonly onProgress?: (event: FetchProgress) => void },
): Promise<PlannedRequest> {
  try {
    const gitlab = request.gitlab && gitlabService?.connection(request.gitlab, progress);
    const options: PlanProjectOptions = {
      ...(request.plan as unknown as PlanProjectOptions),
      ...(gitlab ? { gitlab } : {}),
    };
    let plan = await planProject(options);
    let planning: Planning = { options, ...(gitlab ? { gitlab } : {}) };
    let contextText = request.context ?? 'merge_request';
    if (!plan.created && request.branchFallback && plan.context.source === 'merge_request_event') {
      const branchOptions: PlanProjectOptions = { ...options, context: { kind: 'branch' } };
      const branch = await planProject(branchOptions);
      if (branch.created) {
        plan = branch;
        planning = { ...planning, options: branchOptions };
        contextText = `branch=${branch.context.ref}`;
      }
    }
    if (gitlab) plan = { ...plan, warnings: [...plan.warnings, ...gitlab.notes()] };
    // secrets, needs:pipeline/project: planned as GitLab would, refused before any job runs.
    if (plan.created) assertRunnable(plan);
    return { plan, planning, contextText };
  } catch (error) {
    if (error instanceof PipelineConfigError) {
      throw new DaemonHttpError(
        422,
        'pipeline-config',
        error.issues.map(formatPipelineIssue).join('\n') || error.message,
      );
    }
    if (error instanceof Error && error.name === 'PipelineUsageError')
      throw new DaemonHttpError(400, 'usage', error.message);
    if (error instanceof GitlabError) throw new DaemonHttpError(502, 'gitlab', error.message);
    throw error;
  }
}
