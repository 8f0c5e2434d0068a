import type { Logger } from '@glci/config';
import type { PipelinePlan } from '@glci/pipeline';
import type { DindWiring } from './dind-wiring.js';
import type { ExecutionHooks, ExecutionState } from './execution-events.js';
import type { JobImages } from './job-images.js';
import type { LiveOutput } from './live-output.js';
import type { MockClient } from './mock-client.js';
import type { MockEventHub } from './mock-event-hub.js';
import type { ConfiguredRunner } from './runner-assignment.js';
import type { RunnerSlots } from './runner-slots.js';
import type { ResourceGroups } from './scheduler.js';

/** What one pipeline's execution runs on: its plan, the shared infrastructure, and its hooks. */
export interface ExecutionOptions {
  readonly pipelineId: number;
  readonly parentPipelineId?: number;
  /** The parent pipeline's jobs' mock ids, for a child's `needs:pipeline: $PARENT_PIPELINE_ID`. */
  readonly parentJobIds?: ReadonlyMap<string, number>;
  readonly plan: PipelinePlan;
  readonly projectPath: string;
  /** The commit the mock serves (a dirty snapshot's, or the plan's). */
  readonly sha: string;
  readonly client: MockClient;
  readonly events: MockEventHub;
  readonly images: JobImages;
  readonly dind: DindWiring;
  readonly resourceGroups: ResourceGroups;
  /** `[runner] concurrent` across every pipeline of the daemon; no limit when absent. */
  readonly slots?: RunnerSlots;
  /** Jobs' output live from Docker (`live` events); none when absent. */
  readonly live?: LiveOutput;
  readonly hooks: ExecutionHooks;
  readonly logger: Logger;
  /** Jobs at once; 0: no limit. */
  readonly concurrency: number;
  /** Manual jobs to run (by name). */
  readonly runManual?: ReadonlySet<string>;
  /** Run only these jobs and what they `need`; all jobs when unset. */
  readonly selectJobs?: readonly string[];
  /** Carry on from a previous daemon's state (crash recovery). */
  readonly resume?: ExecutionState;
  /**
   * Whether jobs use the embedded registry (default true): its variables, images through its
   * pull-through cache, DinD's mirror. `false` for `glci run --no-registry`.
   */
  readonly registry?: boolean;
  /** The user's runners serving this pipeline (`configuredRunners`): tagged jobs go to them. */
  readonly runners?: readonly ConfiguredRunner[];
  /** `--any-runner`: jobs whose tags no runner has run on the shared runner instead of pending. */
  readonly anyRunner?: boolean;
  /**
   * An external registry instead of the embedded one: jobs' `CI_REGISTRY*` name it (its login is
   * the mock's, in memory); a plain-HTTP one is trusted by DinD services too.
   */
  readonly externalRegistry?: { readonly host: string; readonly plainHttp: boolean };
  /**
   * Secrets jobs get from the mock, not from their spec (the external registry's password), for
   * masking their live output as the runner masks their log. In memory only, never saved.
   */
  readonly liveSecrets?: readonly string[];
  readonly now?: () => number;
}
