import type { PlannedJob } from '@glci/pipeline';

/**
 * Decides, as GitLab does, which jobs of a pipeline may start, which are skipped, which wait for
 * a manual action, and what the pipeline's status is. Pure: no clock of its own (the caller
 * passes `now`), no I/O; `PipelineExecution` dispatches what it says and reports back.
 *
 * - A job with `needs` waits for exactly those jobs (optional ones absent from the pipeline
 *   ignored; `needs: []` starts at once); a job without waits for every job of earlier stages.
 * - `on_success` runs when none of those failed (an allowed failure counts as success, a
 *   skipped job of an earlier stage does not hold it back, a skipped or unrun *needed* job does);
 *   `on_failure` runs when one of them failed; `always` runs; `delayed` is `on_success` after
 *   `start_in`; `manual` waits for the user (`runManual`) and, when it may not fail
 *   (`allow_failure: false`, GitLab's default under `rules`), blocks what comes after it.
 * - A failure is retried up to `retry.max` times when its reason is in `retry.when` and, if
 *   given, its exit code in `retry.exit_codes`; `allow_failure` (or its exit codes) makes a final
 *   failure allowed.
 * - At most `concurrency` jobs run at once (0: no limit); jobs of one `resource_group` run one at
 *   a time (the group may be shared with other pipelines through `ResourceGroups`).
 */
export type JobStatus =
  | 'created'
  | 'scheduled'
  | 'manual'
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'canceled'
  | 'skipped';

export type PipelineStatus = 'running' | 'success' | 'failed' | 'canceled' | 'blocked';

export const FINISHED: ReadonlySet<JobStatus> = new Set(['success', 'failed', 'canceled', 'skipped']);

export interface SchedulableJob
  extends Pick<
    PlannedJob,
    'name' | 'stageIndex' | 'when' | 'startInSeconds' | 'allowFailure' | 'needs' | 'retry' | 'resourceGroup'
  > {}

export interface JobOutcome {
  readonly state: 'success' | 'failed' | 'canceled';
  readonly failureReason?: string;
  readonly exitCode?: number;
}

export interface JobProgress {
  readonly name: string;
  readonly status: JobStatus;
  /** 1 for the first run, 2 for the first retry, … */
  readonly attempt: number;
  /** Why it is skipped, waiting or failed, in words. */
  readonly reason?: string;
  /** A failure that `allow_failure` permits: shown as a warning, does not fail the pipeline. */
  readonly allowedFailure?: boolean;
  readonly failureReason?: string;
  readonly exitCode?: number;
  /** For `scheduled` (delayed) jobs: when they may start. */
  readonly startsAt?: number;
}

/** Exclusive locks on resource groups, shared by every pipeline of the daemon. */
export class ResourceGroups {
  readonly #held = new Map<string, string>();

  tryAcquire(group: string, holder: string): boolean {
    const current = this.#held.get(group);
    if (current !== undefined && current !== holder) return false;
    this.#held.set(group, holder);
    return true;
  }

  release(group: string, holder: string): void {
    if (this.#held.get(group) === holder) this.#held.delete(group);
  }
}

export interface SchedulerOptions {
  /** Jobs that run at once; 0: no limit. */
  readonly concurrency: number;
  /** Manual jobs the user asked for (by name). */
  readonly runManual?: ReadonlySet<string>;
  readonly resourceGroups?: ResourceGroups;
  /** Distinguishes this pipeline as a resource group holder. */
  readonly pipelineKey?: string;
}

interface JobState {
  readonly job: SchedulableJob;
  status: JobStatus;
  attempt: number;
  reason?: string;
  allowedFailure?: boolean;
  failureReason?: string;
  exitCode?: number;
  startsAt?: number;
}

/** GitLab's `retry:when` values each runner failure reason satisfies. */
const RETRY_WHEN: Readonly<Record<string, readonly string[]>> = {
  script_failure: ['script_failure'],
  job_execution_timeout: ['job_execution_timeout', 'stuck_or_timeout_failure'],
  runner_system_failure: ['runner_system_failure'],
  image_pull_failure: ['runner_system_failure', 'api_failure'],
  runner_unsupported: ['runner_unsupported'],
  unknown_failure: ['unknown_failure'],
};

export class PipelineScheduler {
  readonly #jobs = new Map<string, JobState>();
  readonly #order: string[];
  readonly #options: SchedulerOptions;
  readonly #played = new Set<string>();
  #canceled = false;

  constructor(jobs: readonly SchedulableJob[], options: SchedulerOptions) {
    this.#options = options;
    this.#order = jobs.map((job) => job.name);
    for (const job of jobs) this.#jobs.set(job.name, { job, status: 'created', attempt: 1 });
  }

  /**
   * Advances every job that can move (skips, manual waits, delays) and returns the jobs to start
   * now, marking them `pending`. Call it again whenever something finished or `nextWakeAt` passed.
   */
  ready(now: number): SchedulableJob[] {
    if (this.#canceled) return [];
    let changed = true;
    while (changed) {
      changed = false;
      for (const name of this.#order) {
        const state = this.#jobs.get(name)!;
        if (state.status !== 'created' && state.status !== 'scheduled') continue;
        if (this.#advance(state, now)) changed = true;
      }
    }
    const started: SchedulableJob[] = [];
    let running = this.#count(['pending', 'running']);
    for (const name of this.#order) {
      const state = this.#jobs.get(name)!;
      if (state.status !== 'scheduled' || (state.startsAt ?? 0) > now) continue;
      if (this.#options.concurrency > 0 && running >= this.#options.concurrency) break;
      const group = state.job.resourceGroup;
      if (group && !this.#options.resourceGroups?.tryAcquire(group, this.#holder(name))) continue;
      state.status = 'pending';
      state.startsAt = undefined;
      running++;
      started.push(state.job);
    }
    return started;
  }

  /** The earliest time a delayed job may start (for a timer), if one waits. */
  nextWakeAt(): number | undefined {
    const times = [...this.#jobs.values()]
      .filter((state) => state.status === 'scheduled' && state.startsAt !== undefined)
      .map((state) => state.startsAt!);
    return times.length ? Math.min(...times) : undefined;
  }

  started(name: string): void {
    const state = this.#must(name);
    if (state.status === 'pending') state.status = 'running';
  }

  /** Reports a job's end; a retry makes it `scheduled` again with the next attempt. */
  finished(name: string, outcome: JobOutcome): JobProgress {
    const state = this.#must(name);
    this.#releaseGroup(state);
    if (outcome.state === 'failed' && !this.#canceled && this.#retries(state, outcome)) {
      state.attempt++;
      state.status = 'scheduled';
      state.reason = `retry ${state.attempt - 1} of ${state.job.retry.max} after ${outcome.failureReason ?? 'a failure'}`;
      return this.#progress(state);
    }
    state.status = outcome.state;
    state.failureReason = outcome.failureReason;
    state.exitCode = outcome.exitCode;
    state.reason = undefined;
    if (outcome.state === 'failed') state.allowedFailure = allowsFailure(state.job, outcome.exitCode);
    return this.#progress(state);
  }

  /**
   * Puts a job back where a previous daemon left it (crash recovery): finished jobs keep their
   * outcome, a job that was running is `running` again (the caller re-attaches to it).
   */
  restore(progress: JobProgress): void {
    const state = this.#must(progress.name);
    state.status = progress.status === 'pending' ? 'running' : progress.status;
    state.attempt = progress.attempt;
    state.reason = progress.reason;
    state.allowedFailure = progress.allowedFailure;
    state.failureReason = progress.failureReason;
    state.exitCode = progress.exitCode;
    if (state.status === 'running' && state.job.resourceGroup) {
      this.#options.resourceGroups?.tryAcquire(state.job.resourceGroup, this.#holder(state.job.name));
    }
  }

  /** Starts a manual job now (as the play button does); the next `ready` dispatches it. */
  play(name: string): void {
    const state = this.#must(name);
    if (state.status !== 'manual') return;
    state.status = 'created';
    state.reason = undefined;
    this.#played.add(name);
  }

  /** Stops scheduling: what has not started is canceled; the caller cancels what runs. */
  cancel(): JobProgress[] {
    this.#canceled = true;
    const changed: JobProgress[] = [];
    for (const state of this.#jobs.values()) {
      if (state.status === 'created' || state.status === 'scheduled' || state.status === 'pending') {
        this.#releaseGroup(state);
        state.status = 'canceled';
        state.reason = 'the pipeline was canceled';
        changed.push(this.#progress(state));
      }
    }
    return changed;
  }

  jobs(): JobProgress[] {
    return this.#order.map((name) => this.#progress(this.#jobs.get(name)!));
  }

  job(name: string): JobProgress {
    return this.#progress(this.#must(name));
  }

  /** `running` while anything can still happen; then GitLab's pipeline status. */
  status(): PipelineStatus {
    const states = [...this.#jobs.values()];
    if (states.some((state) => ['created', 'scheduled', 'pending', 'running'].includes(state.status))) {
      return 'running';
    }
    if (this.#canceled) return 'canceled';
    if (states.some((state) => state.status === 'failed' && !state.allowedFailure)) return 'failed';
    if (states.some((state) => state.status === 'canceled')) return 'canceled';
    if (states.some((state) => state.status === 'manual' && !allowsFailure(state.job, undefined)))
      return 'blocked';
    return 'success';
  }

  /** Moves a `created` job on if it can; true when its status changed. */
  #advance(state: JobState, now: number): boolean {
    const job = state.job;
    if (state.status === 'scheduled') return false;
    const prerequisites = this.#prerequisites(job);
    const waitingOnManual = prerequisites.find((other) => this.#blocksAsManual(other, job));
    if (waitingOnManual) {
      if (waitingOnManual.status === 'manual' && this.#everythingElseSettled()) {
        return this.#skip(state, `waits for the manual job ${waitingOnManual.job.name}`);
      }
      return false;
    }
    if (prerequisites.some((other) => !FINISHED.has(other.status) && other.status !== 'manual')) return false;
    const failed = prerequisites.some((other) => other.status === 'failed' && !other.allowedFailure);
    const canceled = prerequisites.some((other) => other.status === 'canceled');
    const neededNotRun =
      job.needs !== undefined &&
      prerequisites.some((other) => other.status === 'skipped' || other.status === 'manual');
    switch (job.when) {
      case 'always':
        return this.#schedule(state, now, 0);
      case 'on_failure':
        return failed ? this.#schedule(state, now, 0) : this.#skip(state, 'nothing before it failed');
      case 'manual':
        if (failed || canceled || neededNotRun) return this.#skip(state, 'a job before it did not succeed');
        if (this.#options.runManual?.has(job.name) || this.#played.has(job.name))
          return this.#schedule(state, now, 0);
        state.status = 'manual';
        state.reason = `manual: run it with \`glci run ${job.name}\` or --manual`;
        return true;
      default:
        if (failed || canceled || neededNotRun) return this.#skip(state, 'a job before it did not succeed');
        return this.#schedule(state, now, job.when === 'delayed' ? (job.startInSeconds ?? 0) * 1000 : 0);
    }
  }

  /** A manual job that has not run holds back a job that needs it, or any later-stage job when it may not fail. */
  #blocksAsManual(other: JobState, job: SchedulableJob): boolean {
    if (other.job.when !== 'manual' || FINISHED.has(other.status)) return false;
    if (other.status !== 'manual' && other.status !== 'created') return false;
    if (job.needs !== undefined) return job.needs.some((need) => need.job === other.job.name);
    return !allowsFailure(other.job, undefined);
  }

  /** Nothing else can move: a job still waiting on a manual one will wait forever. */
  #everythingElseSettled(): boolean {
    return ![...this.#jobs.values()].some((state) =>
      ['pending', 'running', 'scheduled'].includes(state.status),
    );
  }

  /** `start_in` counts from the moment the job could otherwise start, as on GitLab. */
  #schedule(state: JobState, now: number, delayMs: number): boolean {
    state.status = 'scheduled';
    state.reason = delayMs > 0 ? `delayed by ${Math.round(delayMs / 1000)} s` : undefined;
    state.startsAt = now + delayMs;
    return true;
  }

  #skip(state: JobState, reason: string): boolean {
    state.status = 'skipped';
    state.reason = reason;
    return true;
  }

  #prerequisites(job: SchedulableJob): JobState[] {
    if (job.needs !== undefined) {
      return job.needs
        .map((need) => this.#jobs.get(need.job))
        .filter((state): state is JobState => state !== undefined);
    }
    return [...this.#jobs.values()].filter((other) => other.job.stageIndex < job.stageIndex);
  }

  #retries(state: JobState, outcome: JobOutcome): boolean {
    const retry = state.job.retry;
    if (state.attempt > retry.max) return false;
    const when = retry.when.length > 0 ? retry.when : ['always'];
    const reason = outcome.failureReason ?? 'script_failure';
    const matches =
      when.includes('always') || (RETRY_WHEN[reason] ?? [reason]).some((value) => when.includes(value));
    if (!matches) return false;
    return (
      retry.exitCodes.length === 0 ||
      (outcome.exitCode !== undefined && retry.exitCodes.includes(outcome.exitCode))
    );
  }

  #releaseGroup(state: JobState): void {
    if (state.job.resourceGroup)
      this.#options.resourceGroups?.release(state.job.resourceGroup, this.#holder(state.job.name));
  }

  #holder(name: string): string {
    return `${this.#options.pipelineKey ?? 'pipeline'}/${name}`;
  }

  #count(statuses: readonly JobStatus[]): number {
    return [...this.#jobs.values()].filter((state) => statuses.includes(state.status)).length;
  }

  #must(name: string): JobState {
    const state = this.#jobs.get(name);
    if (!state) throw new Error(`no job ${name} in this pipeline`);
    return state;
  }

  #progress(state: JobState): JobProgress {
    return {
      name: state.job.name,
      status: state.status,
      attempt: state.attempt,
      ...(state.reason ? { reason: state.reason } : {}),
      ...(state.allowedFailure ? { allowedFailure: true } : {}),
      ...(state.failureReason ? { failureReason: state.failureReason } : {}),
      ...(state.exitCode !== undefined ? { exitCode: state.exitCode } : {}),
      ...(state.status === 'scheduled' && state.startsAt !== undefined ? { startsAt: state.startsAt } : {}),
    };
  }
}

/** Whether a failure (with this exit code, when known) is allowed by the job's `allow_failure`. */
export function allowsFailure(
  job: Pick<SchedulableJob, 'allowFailure'>,
  exitCode: number | undefined,
): boolean {
  const allow = job.allowFailure;
  if (typeof allow === 'boolean') return allow;
  return exitCode !== undefined && allow.exitCodes.includes(exitCode);
}
