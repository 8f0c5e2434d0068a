import type { Clock } from './clock.js';
import { InvalidJobStateError, NotFoundError } from './errors.js';
import type { JsonFile } from './json-file.js';
import { type Runner, runnerMatches } from './runner-store.js';
import type { JobSpec } from './schemas.js';

export type JobState = 'pending' | 'running' | 'canceling' | 'success' | 'failed' | 'canceled';
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['success', 'failed', 'canceled']);
/** States in which the job's token is valid (git, artifacts, registry, trace). */
export const ACTIVE_STATES: ReadonlySet<JobState> = new Set(['running', 'canceling']);

export interface JobRecord {
  readonly id: number;
  readonly spec: JobSpec;
  readonly state: JobState;
  readonly runnerId: number | undefined;
  readonly createdAt: number;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  readonly failureReason: string | undefined;
  readonly exitCode: number | undefined;
}

export interface ClaimOptions {
  readonly signal?: AbortSignal;
  /** Hold the request up to this long for a job to arrive (long poll); 0 answers at once. */
  readonly waitMs?: number;
}

export interface JobUpdate {
  readonly state: 'running' | 'success' | 'failed';
  readonly failureReason?: string;
  readonly exitCode?: number;
}

export type StateListener = (job: JobRecord, previous: JobState | undefined) => void;

/**
 * The job queue. `claim` hands each job to exactly one runner whose tags cover the job's tags
 * (FIFO, and only once every dependency has finished), optionally waiting for one to arrive;
 * `release` puts a claimed job back when its delivery failed; `update` applies the runner's state
 * reports; `cancel` cancels gracefully (`canceling`) or at once (`force`).
 */
export interface JobQueue {
  enqueue(spec: JobSpec): JobRecord;
  /**
   * A job that already ended elsewhere (`success`): never dispatched, it stands in the queue so
   * that later jobs may name it among their dependencies and download its artifacts (a job of
   * another project's pipeline on GitLab, for `needs:project`).
   */
  recordFinished(spec: JobSpec): JobRecord;
  claim(runner: Runner, options?: ClaimOptions): Promise<JobRecord | undefined>;
  release(jobId: number): void;
  update(jobId: number, update: JobUpdate): JobRecord;
  cancel(jobId: number, options?: { force?: boolean }): JobRecord;
  get(jobId: number): JobRecord | undefined;
  list(): readonly JobRecord[];
  /** Changes whenever a job is enqueued or released (sent as `X-GitLab-Last-Update`). */
  readonly lastUpdate: string;
  /** Calls `listener` on every state change (including enqueue, with `previous` undefined). */
  subscribe(listener: StateListener): () => void;
}

type MutableJob = { -readonly [K in keyof JobRecord]: JobRecord[K] };

interface Waiter {
  readonly runner: Runner;
  readonly resolve: (job: MutableJob | undefined) => void;
}

export interface MemoryJobQueueOptions {
  readonly clock: Clock;
  /**
   * Keeps the jobs across restarts: loaded at construction, saved after every change. A job that
   * was running stays running, so its runner's next trace patch or final update is accepted.
   */
  readonly file?: JsonFile<SavedJobs>;
}

/** What a `MemoryJobQueue` saves. */
export interface SavedJobs {
  readonly nextId: number;
  readonly version: number;
  readonly jobs: readonly JobRecord[];
  /** Pending job ids in queue order. */
  readonly pending: readonly number[];
}

export class MemoryJobQueue implements JobQueue {
  readonly #jobs = new Map<number, MutableJob>();
  /** Pending job ids in FIFO order. */
  readonly #pending = new Set<number>();
  readonly #waiters = new Set<Waiter>();
  readonly #clock: Clock;
  readonly #listeners = new Set<StateListener>();
  #nextId = 1;
  #version = 0;

  readonly #file: JsonFile<SavedJobs> | undefined;

  constructor(options: MemoryJobQueueOptions) {
    this.#clock = options.clock;
    this.#file = options.file;
    const saved = this.#file?.load();
    if (saved) {
      this.#nextId = saved.nextId;
      this.#version = saved.version;
      for (const job of saved.jobs) this.#jobs.set(job.id, { ...job });
      for (const id of saved.pending) if (this.#jobs.get(id)?.state === 'pending') this.#pending.add(id);
    }
  }

  #save(): void {
    this.#file?.save({
      nextId: this.#nextId,
      version: this.#version,
      jobs: [...this.#jobs.values()].map(withoutSecrets),
      pending: [...this.#pending],
    });
  }

  subscribe(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(job: JobRecord, previous: JobState | undefined): void {
    this.#save();
    for (const listener of this.#listeners) listener(job, previous);
  }

  get lastUpdate(): string {
    return String(this.#version);
  }

  enqueue(spec: JobSpec): JobRecord {
    for (const dependency of spec.dependencies) {
      const job = this.#jobs.get(dependency);
      if (!job) throw new NotFoundError(`dependency ${dependency} is not a known job`);
      if (job.spec.project.path !== spec.project.path) {
        throw new NotFoundError(`dependency ${dependency} belongs to another project`);
      }
    }
    const job: MutableJob = {
      id: this.#nextId++,
      spec,
      state: 'pending',
      runnerId: undefined,
      createdAt: this.#clock.now(),
      startedAt: undefined,
      finishedAt: undefined,
      failureReason: undefined,
      exitCode: undefined,
    };
    this.#jobs.set(job.id, job);
    this.#pending.add(job.id);
    this.#version++;
    this.#notify(job, undefined);
    this.#dispatch();
    return job;
  }

  recordFinished(spec: JobSpec): JobRecord {
    const now = this.#clock.now();
    const job: MutableJob = {
      id: this.#nextId++,
      spec,
      state: 'success',
      runnerId: undefined,
      createdAt: now,
      startedAt: now,
      finishedAt: now,
      failureReason: undefined,
      exitCode: undefined,
    };
    this.#jobs.set(job.id, job);
    this.#version++;
    this.#notify(job, undefined);
    return job;
  }

  claim(runner: Runner, options: ClaimOptions = {}): Promise<JobRecord | undefined> {
    if (runner.paused || options.signal?.aborted) return Promise.resolve(undefined);
    const job = this.#takeFor(runner);
    if (job) return Promise.resolve(this.#start(job, runner));
    const waitMs = options.waitMs ?? 0;
    if (waitMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const finish = (found: MutableJob | undefined) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
        resolve(found ? this.#start(found, runner) : undefined);
      };
      const waiter: Waiter = { runner, resolve: finish };
      const onAbort = () => finish(undefined);
      const timer = setTimeout(() => finish(undefined), waitMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  release(jobId: number): void {
    const job = this.#jobs.get(jobId);
    if (!job || job.state !== 'running') return;
    const previous = job.state;
    Object.assign(job, { state: 'pending', runnerId: undefined, startedAt: undefined });
    // Back to the front: it was first in line.
    const rest = [...this.#pending];
    this.#pending.clear();
    for (const id of [jobId, ...rest]) this.#pending.add(id);
    this.#version++;
    this.#notify(job, previous);
    this.#dispatch();
  }

  update(jobId: number, update: JobUpdate): JobRecord {
    const job = this.#mustGet(jobId);
    const previous = job.state;
    if (FINAL_STATES.has(previous)) {
      const sameOutcome =
        previous === update.state || (previous === 'canceled' && update.state !== 'running');
      if (sameOutcome) return job; // a re-sent final update: idempotent
      throw new InvalidJobStateError(jobId, previous);
    }
    if (previous === 'pending')
      throw new InvalidJobStateError(jobId, previous, `job ${jobId} is not running`);
    if (update.state === 'running') return job; // running → running (two-phase commit, keep-alive)
    const state: JobState = previous === 'canceling' ? 'canceled' : update.state;
    Object.assign(job, {
      state,
      finishedAt: this.#clock.now(),
      failureReason: update.state === 'failed' ? (update.failureReason ?? 'script_failure') : undefined,
      exitCode: update.exitCode,
    });
    this.#notify(job, previous);
    this.#dispatch(); // dependants may be ready now
    return job;
  }

  cancel(jobId: number, options: { force?: boolean } = {}): JobRecord {
    const job = this.#mustGet(jobId);
    const previous = job.state;
    if (FINAL_STATES.has(previous)) return job;
    if (previous === 'canceling' && !options.force) return job;
    const graceful = previous === 'running' && !options.force;
    this.#pending.delete(jobId);
    Object.assign(
      job,
      graceful ? { state: 'canceling' } : { state: 'canceled', finishedAt: this.#clock.now() },
    );
    this.#notify(job, previous);
    if (!graceful) this.#dispatch();
    return job;
  }

  get(jobId: number): JobRecord | undefined {
    return this.#jobs.get(jobId);
  }

  list(): readonly JobRecord[] {
    return [...this.#jobs.values()];
  }

  #mustGet(jobId: number): MutableJob {
    const job = this.#jobs.get(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    return job;
  }

  #ready(job: MutableJob): boolean {
    return job.spec.dependencies.every((id) => {
      const dependency = this.#jobs.get(id);
      return dependency !== undefined && FINAL_STATES.has(dependency.state);
    });
  }

  /** Removes and returns the first ready pending job this runner may run. */
  #takeFor(runner: Runner): MutableJob | undefined {
    for (const id of this.#pending) {
      const job = this.#jobs.get(id)!;
      if (runnerMatches(runner, job.spec.tags) && this.#ready(job)) {
        this.#pending.delete(id);
        return job;
      }
    }
    return undefined;
  }

  #start(job: MutableJob, runner: Runner): JobRecord {
    const previous = job.state;
    Object.assign(job, { state: 'running', runnerId: runner.id, startedAt: this.#clock.now() });
    this.#notify(job, previous);
    return job;
  }

  /** Hands ready jobs to waiting runners, oldest waiter first. */
  #dispatch(): void {
    for (const waiter of [...this.#waiters]) {
      if (this.#pending.size === 0) return;
      const job = this.#takeFor(waiter.runner);
      if (job) waiter.resolve(job);
    }
  }
}

/** A job as it is written down: its `secret` variables (memory only) left out. */
function withoutSecrets(job: JobRecord): JobRecord {
  const keep = (variables: JobSpec['variables']) =>
    Object.fromEntries(
      Object.entries(variables).filter(([, value]) => typeof value === 'string' || !value.secret),
    );
  const hasSecret = (variables: JobSpec['variables']) =>
    Object.values(variables).some((value) => typeof value !== 'string' && value.secret);
  if (!hasSecret(job.spec.variables) && !hasSecret(job.spec.pipeline_variables)) return job;
  return {
    ...job,
    spec: {
      ...job.spec,
      variables: keep(job.spec.variables),
      pipeline_variables: keep(job.spec.pipeline_variables),
    },
  };
}
