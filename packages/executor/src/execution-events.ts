import type { PullProgressEvent } from '@glci/docker';
import type { DynamicChild, PipelinePlan } from '@glci/pipeline';
import type { ProjectNeed } from './cross-pipeline.js';
import type { ArtifactInfo } from './mock-client.js';
import type { JobProgress, JobStatus, PipelineStatus } from './scheduler.js';

/** What a running pipeline tells its watchers (the CLI, the history). */
export type ExecutionEvent =
  | {
      readonly type: 'pipeline-started';
      readonly pipelineId: number;
      readonly parentPipelineId?: number;
      readonly name?: string;
      readonly stages: readonly string[];
      readonly jobs: readonly {
        readonly name: string;
        readonly stage: string;
        readonly status: JobStatus;
        /** The jobs it waits for (`needs`); absent: every job of the earlier stages. */
        readonly needs?: readonly string[];
      }[];
    }
  | {
      readonly type: 'job';
      readonly pipelineId: number;
      readonly name: string;
      readonly stage: string;
      readonly status: JobStatus;
      readonly attempt: number;
      /** The job's id in the mock (`CI_JOB_ID`) once it was queued. */
      readonly jobId?: number;
      /** When it was queued in the mock (ms since the epoch), once it was. */
      readonly queuedAt?: number;
      readonly reason?: string;
      readonly allowedFailure?: boolean;
      readonly failureReason?: string;
      readonly exitCode?: number;
      readonly at: number;
    }
  | {
      readonly type: 'trace';
      readonly pipelineId: number;
      readonly name: string;
      readonly jobId: number;
      readonly offset: number;
      readonly data: Buffer;
    }
  | {
      /**
       * A job's output live from Docker, before the runner uploads it (see `LiveOutput`): whole
       * lines, masked. A preview: the `trace` events are the record.
       */
      readonly type: 'live';
      readonly pipelineId: number;
      readonly name: string;
      readonly jobId: number;
      readonly container: string;
      readonly stream: 'stdout' | 'stderr';
      readonly text: string;
    }
  | {
      readonly type: 'pull';
      readonly pipelineId: number;
      readonly name: string;
      readonly progress: PullProgressEvent;
    }
  | {
      /**
       * What the daemon tells the pipeline's followers besides its jobs: its Docker engine lost,
       * back and the pipeline taken over, or gone for good.
       */
      readonly type: 'notice';
      readonly pipelineId: number;
      readonly message: string;
    }
  | {
      readonly type: 'pipeline-finished';
      readonly pipelineId: number;
      readonly status: PipelineStatus;
      readonly durationMs: number;
      /** Why the pipeline could not run at all (the daemon's error), when that is how it ended. */
      readonly error?: string;
    };

/** What the daemon provides around an execution. */
export interface ExecutionHooks {
  emit(event: ExecutionEvent): void;
  /** Keeps a finished job's artifacts (the daemon's history); optional. */
  storeArtifacts?(
    job: { name: string; jobId: number; pipelineId: number },
    artifacts: readonly ArtifactInfo[],
  ): Promise<void>;
  /** A new pipeline id for a child pipeline. */
  allocatePipelineId(): Promise<number>;
  /**
   * Keeps what a restarted daemon needs to carry on (called after every change of a job); see
   * `ExecutionState` and `ExecutionOptions.resume`.
   */
  saveState?(state: ExecutionState): void;
  /** Log bytes already kept for a job (a re-attached job's log goes on from there). */
  traceLength?(jobId: number): Promise<number>;
  /** `needs:project`: a job's artifacts archive (zip) from the GitLab instance. */
  projectArtifacts?(need: ProjectNeed): Promise<Buffer>;
  /** A dynamic child pipeline, planned once the job that generates its configuration has run. */
  planDynamicChild?(
    child: DynamicChild,
    readArtifact: (job: string, file: string) => Promise<string | undefined>,
  ): Promise<PipelinePlan>;
  /** A downstream project's repository sent to the mock for its pipeline; the commit it serves. */
  sendRepository?(plan: PipelinePlan, pipelineId: number): Promise<string>;
}

/** Where a pipeline stands: enough to resume it in another daemon process. */
export interface ExecutionState {
  readonly pipelineId: number;
  readonly jobs: readonly JobProgress[];
  /** The latest mock job id of each job. */
  readonly jobIds: Readonly<Record<string, number>>;
  /** The DinD wiring key of each DinD job that was started. */
  readonly dindKeys: Readonly<Record<string, string>>;
}
