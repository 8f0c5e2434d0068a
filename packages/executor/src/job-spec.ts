import type { PullProgressEvent } from '@glci/docker';
import { artifactSources, type PlannedJob, toJobSpec } from '@glci/pipeline';
import type { JobSpecInput } from '@glci/runner-api';
import { crossNeedDependencies } from './cross-pipeline.js';
import type { ExecutionOptions } from './execution-options.js';
import { routeJob } from './runner-routing.js';

/** A job's spec as it is queued, or why no runner can take it (the job then stays pending). */
export type PreparedSpec = { readonly spec: JobSpecInput } | { readonly pending: string };

export interface JobSpecContext {
  /** The mock job ids of the pipeline's jobs so far, by name (for `dependencies`). */
  readonly jobIds: ReadonlyMap<string, number>;
  readonly signal: AbortSignal;
  readonly onPull: (progress: PullProgressEvent) => void;
}

/**
 * Everything a job's spec needs before it is queued: its dependencies' ids (this pipeline's and
 * other pipelines' artifacts), its runner entry, the registry it uses, and its images made
 * available through the cache.
 */
export async function prepareJobSpec(
  job: PlannedJob,
  options: ExecutionOptions,
  context: JobSpecContext,
): Promise<PreparedSpec> {
  const { client, pipelineId, projectPath, plan } = options;
  // needs:project and needs:pipeline: other pipelines' artifacts, as dependencies in the mock.
  const crossIds = await crossNeedDependencies(job, {
    client,
    projectPath,
    pipelineId,
    sha: options.sha,
    ref: plan.context.ref,
    parentPipelineId: options.parentPipelineId,
    parentJobIds: options.parentJobIds,
    projectArtifacts: options.hooks.projectArtifacts,
  });
  let spec: JobSpecInput = toJobSpec(plan, job, {
    pipelineId,
    projectPath,
    sha: options.sha,
    dependencyIds: [
      ...artifactSources(plan, job)
        .map((name) => context.jobIds.get(name))
        .filter((id): id is number => id !== undefined),
      ...crossIds,
    ],
    ...(options.parentPipelineId !== undefined
      ? {
          extraLayers: [
            {
              source: 'predefined' as const,
              label: 'parent pipeline',
              entries: [{ name: 'CI_PARENT_PIPELINE_ID', value: String(options.parentPipelineId) }],
            },
          ],
        }
      : {}),
  });
  // A job's `tags:` pick the user's runners as on GitLab; untagged jobs go to glci's standing
  // entries by the route's tags. A job no runner can take stays pending (`StuckJobs`).
  // Docker-in-Docker jobs get an entry of their own when they are queued.
  const route = routeJob(spec, {
    ...(options.runners ? { runners: options.runners } : {}),
    ...(options.anyRunner ? { anyRunner: true } : {}),
  });
  if (route.pending !== undefined) return { pending: route.pending };
  spec = { ...spec, tags: [...route.tags] };
  const external = options.externalRegistry;
  if (external) spec = { ...spec, external_registry: { host: external.host } };
  if (options.registry === false) {
    // The runner pulls the images itself, as configured ([runner] pull_policy).
    return { spec: { ...spec, registry: false } };
  }
  return {
    spec: await options.images.prepare(spec, {
      projectPath,
      signal: context.signal,
      onProgress: context.onPull,
    }),
  };
}
