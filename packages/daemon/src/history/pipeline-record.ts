import { z } from 'zod';

/** GitLab's pipeline statuses that a local run can reach. */
export const PIPELINE_STATUSES = [
  'created',
  'pending',
  'running',
  'success',
  'failed',
  'canceled',
  'skipped',
  // waiting for a manual job that may not fail (GitLab's "blocked")
  'blocked',
] as const;

/** GitLab's job statuses that a local run can reach (`manual`: waiting to be started by hand). */
export const JOB_STATUSES = [
  'created',
  // delayed (`when: delayed`), or queued for a retry
  'scheduled',
  'pending',
  'running',
  'success',
  'failed',
  'canceled',
  'skipped',
  'manual',
] as const;

const timestamp = z.iso.datetime({ offset: true });

export const jobRecordSchema = z.object({
  /**
   * The mock's job id (`CI_JOB_ID`); unique among the jobs of one pipeline (a retry gets a new
   * id). Absent for a job that never ran (skipped, manual, canceled before it started).
   */
  id: z.number().int().positive().optional(),
  name: z.string().min(1),
  stage: z.string().min(1),
  status: z.enum(JOB_STATUSES),
  allowFailure: z.boolean().optional(),
  /** `on_success`, `manual`, `always`, … as the plan gave it. */
  when: z.string().optional(),
  /** 1 for the first run of a job, 2 for its first retry, … */
  attempt: z.number().int().positive().optional(),
  /** When the daemon decided it may start (GitLab's `pending`; its images and a runner slot next). */
  createdAt: timestamp.optional(),
  /** When it was queued in the mock for the runner to pick up. */
  queuedAt: timestamp.optional(),
  /** When the runner picked it up. */
  startedAt: timestamp.optional(),
  finishedAt: timestamp.optional(),
  durationMs: z.number().nonnegative().optional(),
  /** Its `needs` as planned; absent when it waits for the earlier stages instead. */
  needs: z.array(z.string()).optional(),
  exitCode: z.number().int().optional(),
  /** The runner's `failure_reason`: `script_failure`, `job_execution_timeout`, … */
  failureReason: z.string().optional(),
  /** The runner that ran it (its description or container name). */
  runner: z.string().optional(),
});

export const pipelineRecordSchema = z.object({
  /** The record format; bumped when a field changes meaning. */
  version: z.literal(1),
  id: z.number().int().positive(),
  /** The project directory the pipeline ran for (absolute, symlinks resolved). */
  projectDir: z.string().min(1),
  ref: z.string().optional(),
  sha: z.string().optional(),
  /** The simulated context as given: `branch=main`, `merge_request`, `tag=v1.2`, … */
  context: z.string().optional(),
  /** `-p PRESET`, when the run used one. */
  preset: z.string().optional(),
  /** A child pipeline's parent. */
  parentId: z.number().int().positive().optional(),
  status: z.enum(PIPELINE_STATUSES),
  createdAt: timestamp,
  startedAt: timestamp.optional(),
  finishedAt: timestamp.optional(),
  durationMs: z.number().nonnegative().optional(),
  /** Where the time before the first job went (see `PipelinePhaseTimes`). */
  phases: z
    .object({
      /** The `glci run` process started (its clock; the same machine). */
      cliStartedAt: timestamp.optional(),
      /** The daemon received the request. */
      requestedAt: timestamp.optional(),
      /** The plan was made (the record is created right after). */
      plannedAt: timestamp.optional(),
      /** The mock and the runner were up. */
      infrastructureReadyAt: timestamp.optional(),
      /** The mock had the commit. */
      repositorySentAt: timestamp.optional(),
    })
    .optional(),
  /** Jobs in plan order (stage, then position in the file). */
  jobs: z.array(jobRecordSchema),
});

export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];
export type JobStatus = (typeof JOB_STATUSES)[number];
export type JobRecord = z.infer<typeof jobRecordSchema>;
export type PipelineRecord = z.infer<typeof pipelineRecordSchema>;

/** What a caller gives to create a pipeline; the store adds id, project, status and creation time. */
export type NewPipeline = Omit<PipelineRecord, 'version' | 'id' | 'projectDir' | 'status' | 'createdAt'> & {
  readonly status?: PipelineStatus;
};

/** Whether a pipeline is still going (pruning and crash recovery leave these alone). */
export function isActivePipeline(status: PipelineStatus): boolean {
  return status === 'created' || status === 'pending' || status === 'running';
}
