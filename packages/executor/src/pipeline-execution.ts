import type { Logger } from '@glci/config';
import type { PlannedJob } from '@glci/pipeline';
import type { JobSpecInput } from '@glci/runner-api';
import { usesDockerInDocker } from './dind-wiring.js';
import type { ExecutionEvent, ExecutionState } from './execution-events.js';
import type { ExecutionOptions } from './execution-options.js';
import { prepareJobSpec } from './job-spec.js';
import { LiveMasker } from './live-masker.js';
import type { MockJob } from './mock-client.js';
import { type JobOutcome, type JobProgress, PipelineScheduler, type PipelineStatus } from './scheduler.js';
import { selectedJobs } from './selected-jobs.js';
import { StuckJobs } from './stuck-jobs.js';
import { runTrigger } from './trigger-job.js';

/**
 * What `run()` rejects with once the execution was detached (`detach()`): the pipeline did not
 * end, its daemon stopped following it (its Docker engine was lost) and takes it over later.
 */
export class ExecutionDetached extends Error {
  constructor(readonly pipelineId: number) {
    super(`pipeline ${pipelineId} was detached from its Docker engine`);
    this.name = 'ExecutionDetached';
  }
}

interface ActiveJob {
  readonly planned: PlannedJob;
  jobId?: number;
  queuedAt?: number;
  readonly abort: AbortController;
}

/**
 * Runs one planned pipeline to its end on the official runner through the mock: asks the
 * scheduler what may start, gives each job its images (through the cache), its Docker-in-Docker
 * wiring and its dependencies' ids, queues it, follows its states and log, keeps its artifacts,
 * starts child pipelines for trigger jobs, and reports everything as `ExecutionEvent`s.
 */
export class PipelineExecution {
  readonly #options: ExecutionOptions;
  readonly #scheduler: PipelineScheduler;
  readonly #jobs: ReadonlyMap<string, PlannedJob>;
  readonly #active = new Map<string, ActiveJob>();
  /** The latest mock job id of each job name (for `dependencies`). */
  readonly #jobIds = new Map<string, number>();
  readonly #children = new Set<Promise<unknown>>();
  readonly #childExecutions = new Set<PipelineExecution>();
  readonly #now: () => number;
  readonly #logger: Logger;
  /** The last status reported of each job, so that each change is reported once. */
  readonly #reported = new Map<string, string>();
  #wake: (() => void) | undefined;
  #canceled: 'graceful' | 'forced' | undefined;
  #dindJobs = 0;
  readonly #dindKeys = new Map<string, string>();
  readonly #stuck = new StuckJobs();
  /** Why each given-up stuck job failed (its pending message), for its final event. */
  readonly #stuckReasons = new Map<string, string>();
  #detached = false;

  constructor(options: ExecutionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger.child({ module: 'execution', pipeline: options.pipelineId });
    const jobs = selectedJobs(options.plan, options.selectJobs);
    this.#jobs = new Map(jobs.map((job) => [job.name, job]));
    this.#scheduler = new PipelineScheduler(jobs, {
      concurrency: options.concurrency,
      ...(options.runManual ? { runManual: options.runManual } : {}),
      resourceGroups: options.resourceGroups,
      pipelineKey: String(options.pipelineId),
    });
  }

  get pipelineId(): number {
    return this.#options.pipelineId;
  }

  jobs(): JobProgress[] {
    return this.#scheduler.jobs();
  }

  status(): PipelineStatus {
    return this.#scheduler.status();
  }

  /** Runs until every job has ended; resolves with the pipeline's status. */
  async run(): Promise<PipelineStatus> {
    const started = this.#now();
    const { plan, pipelineId } = this.#options;
    this.#emit({
      type: 'pipeline-started',
      pipelineId,
      ...(this.#options.parentPipelineId !== undefined
        ? { parentPipelineId: this.#options.parentPipelineId }
        : {}),
      ...(plan.name ? { name: plan.name } : {}),
      stages: plan.stages,
      jobs: [...this.#jobs.values()].map((job) => ({
        name: job.name,
        stage: job.stage,
        status: 'created' as const,
        ...(job.needs
          ? { needs: job.needs.map((need) => need.job).filter((name) => this.#jobs.has(name)) }
          : {}),
      })),
    });
    this.#logger.info(this.#options.resume ? 'pipeline resumed' : 'pipeline started', {
      jobs: this.#jobs.size,
    });
    if (this.#options.resume) this.#resume(this.#options.resume);
    for (;;) {
      for (const job of this.#scheduler.ready(this.#now())) this.#launch(this.#jobs.get(job.name)!);
      this.#reportSettled();
      // Nothing but jobs no runner can take is left: waiting on would never end.
      if (this.#stuck.size > 0 && this.#stuck.size === this.#active.size) this.#stuck.releaseAll();
      if (this.#scheduler.status() !== 'running' && this.#active.size === 0) break;
      await this.#sleep();
      if (this.#detached) throw new ExecutionDetached(pipelineId);
    }
    await Promise.allSettled([...this.#children]);
    const status = this.#scheduler.status();
    this.#emit({ type: 'pipeline-finished', pipelineId, status, durationMs: this.#now() - started });
    this.#logger.info('pipeline finished', { status });
    return status;
  }

  /**
   * Cancels the pipeline: jobs that have not started never will; running jobs are canceled
   * gracefully (their `after_script` runs), or at once with `force` (a second Ctrl-C).
   */
  async cancel(options: { force?: boolean } = {}): Promise<void> {
    this.#canceled = options.force ? 'forced' : (this.#canceled ?? 'graceful');
    for (const progress of this.#scheduler.cancel()) this.#emitJob(progress);
    for (const child of this.#childExecutions) await child.cancel(options);
    for (const active of this.#active.values()) {
      if (active.jobId === undefined) active.abort.abort();
      else {
        await this.#options.client
          .cancel(active.jobId, { force: options.force ?? false })
          .catch((error: unknown) =>
            this.#logger.warn('cancel failed', { job: active.planned.name, error: String(error) }),
          );
      }
    }
    this.#wakeUp();
  }

  /**
   * Stops following the pipeline without ending it, as if its daemon had died: no more events,
   * no more saved state, nothing removed (a DinD job's network stays), and `run()` rejects with
   * `ExecutionDetached`. For a lost Docker engine: the daemon takes the pipeline over from its
   * saved state once the engine is back, as a restarted daemon does.
   */
  detach(): void {
    this.#detached = true;
    for (const child of this.#childExecutions) child.detach();
    this.#wakeUp();
  }

  /** Starts a job's life in the background; the run loop wakes when it ends. */
  #launch(job: PlannedJob): void {
    const active: ActiveJob = { planned: job, abort: new AbortController() };
    this.#active.set(job.name, active);
    this.#emitJob(this.#scheduler.job(job.name));
    void this.#runJob(active)
      .then(
        (outcome) => this.#finish(job, outcome),
        (error: unknown) => {
          this.#logger.error('job could not run', { job: job.name, error: (error as Error).message });
          this.#finish(
            job,
            { state: this.#canceled ? 'canceled' : 'failed', failureReason: 'runner_system_failure' },
            String((error as Error).message),
          );
        },
      )
      .finally(() => {
        this.#active.delete(job.name);
        this.#wakeUp();
      });
  }

  async #runJob(active: ActiveJob): Promise<JobOutcome> {
    const job = active.planned;
    if (job.trigger) return await this.#runTrigger(job);
    const { client, pipelineId } = this.#options;
    const ready = await prepareJobSpec(job, this.#options, {
      jobIds: this.#jobIds,
      signal: active.abort.signal,
      onPull: (progress) => this.#emit({ type: 'pull', pipelineId, name: job.name, progress }),
    });
    if ('pending' in ready) return await this.#waitStuck(active, ready.pending);
    const { spec } = ready;
    const external = this.#options.externalRegistry;
    const releaseSlot = (await this.#options.slots?.acquire(active.abort.signal)) ?? (() => {});
    let prepared: { spec: JobSpecInput; release(): Promise<void> } = { spec, release: async () => {} };
    let stopLive: (() => void) | undefined;
    try {
      if (usesDockerInDocker(spec)) {
        const key = `j${++this.#dindJobs}-${Date.now().toString(36)}`;
        this.#dindKeys.set(job.name, key);
        prepared = await this.#options.dind.prepare(
          String(pipelineId),
          key,
          spec,
          external?.plainHttp ? [external.host] : [],
        );
      }
      active.abort.signal.throwIfAborted();
      const queued = await client.enqueue(prepared.spec);
      active.queuedAt = this.#now();
      active.jobId = queued.id;
      stopLive = this.#options.live?.follow(
        queued.id,
        LiveMasker.forJob(prepared.spec, this.#options.liveSecrets),
        (lines) => this.#emit({ type: 'live', pipelineId, name: job.name, ...lines }),
      );
      this.#jobIds.set(job.name, queued.id);
      if (this.#canceled) await client.cancel(queued.id, { force: this.#canceled === 'forced' });
      const final = await this.#watch(job, queued.id, 0);
      stopLive?.();
      releaseSlot();
      await this.#keepArtifacts(job, queued.id);
      return outcomeOf(final);
    } finally {
      stopLive?.();
      releaseSlot();
      // Detached: the job may still run on the engine, and whoever takes it over releases it.
      if (!this.#detached)
        await prepared.release().catch((error: unknown) =>
          this.#logger.warn("could not remove a DinD job's network", {
            job: job.name,
            error: String(error),
          }),
        );
    }
  }

  /** A job no runner can take: pending, with the reason, until it is given up or canceled. */
  async #waitStuck(active: ActiveJob, message: string): Promise<JobOutcome> {
    const name = active.planned.name;
    this.#logger.warn('job pending: no runner has its tags', { job: name });
    const waiting = this.#stuck.wait(name, active.abort.signal);
    this.#emitJob({ ...this.#scheduler.job(name), status: 'pending', reason: message });
    this.#wakeUp();
    const outcome = await waiting;
    this.#stuckReasons.set(name, message);
    return outcome;
  }

  /** Follows a queued job to its end (its states and log), then keeps its artifacts. */
  async #follow(job: PlannedJob, jobId: number, offset: number): Promise<JobOutcome> {
    const final = await this.#watch(job, jobId, offset);
    await this.#keepArtifacts(job, jobId);
    return outcomeOf(final);
  }

  /** A queued job's states and log from `offset`, until it ends; resolves with its final state. */
  #watch(job: PlannedJob, jobId: number, offset: number): Promise<Partial<MockJob>> {
    const { pipelineId } = this.#options;
    return this.#options.events.watch(
      jobId,
      {
        onState: (state) => {
          if (state === 'running') {
            this.#scheduler.started(job.name);
            this.#emitJob(this.#scheduler.job(job.name));
          }
        },
        onTrace: (data, at) =>
          this.#emit({ type: 'trace', pipelineId, name: job.name, jobId, offset: at, data }),
      },
      { offset },
    );
  }

  /** Takes over the jobs a previous daemon left: finished ones as they ended, running ones re-attached. */
  #resume(state: ExecutionState): void {
    for (const [name, id] of Object.entries(state.jobIds)) this.#jobIds.set(name, id);
    for (const [name, key] of Object.entries(state.dindKeys)) this.#dindKeys.set(name, key);
    for (const progress of state.jobs) {
      if (!this.#jobs.has(progress.name)) continue;
      const jobId = state.jobIds[progress.name];
      const started = progress.status === 'running' || progress.status === 'pending';
      // Not queued in the mock yet (or a trigger job, whose child pipeline died with the daemon):
      // it starts again like any job that has not run.
      if (started && (jobId === undefined || this.#jobs.get(progress.name)!.trigger)) continue;
      if (progress.status === 'created' || progress.status === 'scheduled') continue;
      this.#scheduler.restore(progress);
      if (started) this.#reattach(this.#jobs.get(progress.name)!, jobId!);
    }
  }

  #reattach(job: PlannedJob, jobId: number): void {
    const active: ActiveJob = { planned: job, jobId, abort: new AbortController() };
    this.#active.set(job.name, active);
    const dindKey = this.#dindKeys.get(job.name);
    const run = async () => {
      const releaseSlot = this.#options.slots?.hold() ?? (() => {});
      const offset = (await this.#options.hooks.traceLength?.(jobId)) ?? 0;
      try {
        return await this.#follow(job, jobId, offset);
      } finally {
        releaseSlot();
        if (dindKey && !this.#detached)
          await this.#options.dind.release(String(this.#options.pipelineId), dindKey).catch(() => undefined);
      }
    };
    this.#logger.info('re-attached to a running job', { job: job.name, jobId });
    void run()
      .then(
        (outcome) => this.#finish(job, outcome),
        (error: unknown) =>
          this.#finish(
            job,
            { state: 'failed', failureReason: 'runner_system_failure' },
            String((error as Error).message),
          ),
      )
      .finally(() => {
        this.#active.delete(job.name);
        this.#wakeUp();
      });
  }

  #saveState(): void {
    if (this.#detached) return;
    this.#options.hooks.saveState?.({
      pipelineId: this.#options.pipelineId,
      jobs: this.#scheduler.jobs(),
      jobIds: Object.fromEntries(this.#jobIds),
      dindKeys: Object.fromEntries(this.#dindKeys),
    });
  }

  /** A trigger job: its child pipeline runs as an execution of its own, ended with this one. */
  #runTrigger(job: PlannedJob): Promise<JobOutcome> {
    return runTrigger(job, {
      options: this.#options,
      jobs: this.#jobs,
      jobIds: this.#jobIds,
      startChild: (options) => {
        const child = new PipelineExecution(options);
        this.#childExecutions.add(child);
        const running = child.run().finally(() => this.#childExecutions.delete(child));
        this.#children.add(running);
        return running;
      },
    });
  }

  async #keepArtifacts(job: PlannedJob, jobId: number): Promise<void> {
    const store = this.#options.hooks.storeArtifacts;
    if (!store || this.#detached) return;
    try {
      const artifacts = await this.#options.client.artifacts(jobId);
      if (artifacts.length > 0)
        await store({ name: job.name, jobId, pipelineId: this.#options.pipelineId }, artifacts);
    } catch (error) {
      this.#logger.warn('could not keep the artifacts', { job: job.name, error: String(error) });
    }
  }

  #finish(job: PlannedJob, outcome: JobOutcome, reason = this.#stuckReasons.get(job.name)): void {
    this.#stuckReasons.delete(job.name);
    const progress = this.#scheduler.finished(job.name, outcome);
    this.#emitJob(reason && progress.status === 'failed' ? { ...progress, reason } : progress);
  }

  /** Jobs the scheduler skipped, delayed or parked as manual since the last report. */
  #reportSettled(): void {
    for (const progress of this.#scheduler.jobs()) {
      if (!['skipped', 'manual', 'scheduled'].includes(progress.status)) continue;
      this.#emitJob(progress);
    }
  }

  #emitJob(progress: JobProgress): void {
    const key = `${progress.status}/${progress.attempt}/${progress.reason ?? ''}`;
    if (this.#reported.get(progress.name) === key) return;
    this.#reported.set(progress.name, key);
    const job = this.#jobs.get(progress.name)!;
    const active = this.#active.get(progress.name);
    const jobId = active?.jobId;
    this.#emit({
      type: 'job',
      pipelineId: this.#options.pipelineId,
      name: progress.name,
      stage: job.stage,
      status: progress.status,
      attempt: progress.attempt,
      ...(jobId !== undefined ? { jobId } : {}),
      ...(active?.queuedAt !== undefined ? { queuedAt: active.queuedAt } : {}),
      ...(progress.reason ? { reason: progress.reason } : {}),
      ...(progress.allowedFailure ? { allowedFailure: true } : {}),
      ...(progress.failureReason ? { failureReason: progress.failureReason } : {}),
      ...(progress.exitCode !== undefined ? { exitCode: progress.exitCode } : {}),
      at: this.#now(),
    });
    this.#saveState();
  }

  #emit(event: ExecutionEvent): void {
    if (this.#detached) return;
    try {
      this.#options.hooks.emit(event);
    } catch (error) {
      this.#logger.warn('an event watcher failed', { error: String(error) });
    }
  }

  /** Waits until a job ends, the next delayed job is due, or the pipeline is canceled. */
  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const wakeAt = this.#scheduler.nextWakeAt();
      const timer = wakeAt === undefined ? undefined : setTimeout(resolve, Math.max(0, wakeAt - this.#now()));
      this.#wake = () => {
        if (timer) clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #wakeUp(): void {
    this.#wake?.();
  }
}

function outcomeOf(job: Partial<MockJob>): JobOutcome {
  const state = job.state === 'success' ? 'success' : job.state === 'canceled' ? 'canceled' : 'failed';
  return {
    state,
    ...(job.failureReason ? { failureReason: job.failureReason } : {}),
    ...(job.exitCode !== null && job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
  };
}
