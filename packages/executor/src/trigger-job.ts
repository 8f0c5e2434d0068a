import type { PlannedJob } from '@glci/pipeline';
import { readArtifactFile } from './cross-pipeline.js';
import type { ExecutionOptions } from './execution-options.js';
import type { JobOutcome, PipelineStatus } from './scheduler.js';

export interface TriggerContext {
  /** The parent's execution options (the child runs on the same mock and runners). */
  readonly options: ExecutionOptions;
  /** The parent's jobs, by name. */
  readonly jobs: ReadonlyMap<string, PlannedJob>;
  /** The mock job ids of the parent's jobs so far, by name. */
  readonly jobIds: ReadonlyMap<string, number>;
  /** Starts the child pipeline's execution in the background; resolves with its status once it ends. */
  readonly startChild: (options: ExecutionOptions) => Promise<PipelineStatus>;
}

/**
 * A trigger job: the child pipeline runs on the same mock and runners. A dynamic child is planned
 * now, from the generating job's artifact; a downstream project's repository is sent first.
 */
export async function runTrigger(job: PlannedJob, context: TriggerContext): Promise<JobOutcome> {
  const { options } = context;
  const trigger = job.trigger!;
  let plan = trigger.pipeline;
  if (!plan && trigger.kind === 'child' && trigger.dynamic) {
    const planDynamic = options.hooks.planDynamicChild;
    if (!planDynamic)
      throw new Error(
        `${job.name}: the child pipeline from the artifact ${trigger.dynamic.artifact} of ${trigger.dynamic.job} cannot be planned by a restarted daemon; run the pipeline again`,
      );
    plan = await planDynamic(trigger.dynamic, (name, file) => readArtifact(context, name, file));
  }
  if (!plan) {
    throw new Error(
      `${job.name}: the downstream pipeline could not be planned (map the project with [projects] or --project-dir, or set GITLAB_TOKEN so glci can clone it)`,
    );
  }
  const childId = await options.hooks.allocatePipelineId();
  const downstream = trigger.kind === 'project';
  const sha =
    downstream && options.hooks.sendRepository
      ? await options.hooks.sendRepository(plan, childId)
      : options.sha;
  const running = context.startChild({
    ...options,
    pipelineId: childId,
    parentPipelineId: options.pipelineId,
    parentJobIds: new Map(context.jobIds),
    plan,
    ...(downstream ? { projectPath: plan.context.projectPath, sha } : {}),
    selectJobs: undefined,
  });
  if (trigger.strategy !== 'depend') return { state: 'success' };
  const status = await running;
  return status === 'success'
    ? { state: 'success' }
    : { state: status === 'canceled' ? 'canceled' : 'failed' };
}

/** A file of a job's artifacts (by the job's name, a parallel job's first instance by its own). */
async function readArtifact(
  context: TriggerContext,
  name: string,
  file: string,
): Promise<string | undefined> {
  const jobId =
    context.jobIds.get(name) ??
    [...context.jobs.values()]
      .filter((job) => job.definitionName === name)
      .map((job) => context.jobIds.get(job.name))
      .find((id) => id !== undefined);
  if (jobId === undefined)
    throw new Error(`job ${name} did not run in this pipeline, so its artifact ${file} does not exist`);
  return readArtifactFile(context.options.client, jobId, file);
}
