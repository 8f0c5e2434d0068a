import { type GlciConfig, type Logger, loadConfig } from '@glci/config';
import {
  DaemonHttpError,
  type DaemonService,
  type DaemonServiceContext,
  HistoryStore,
  isActivePipeline,
  type PipelineRecord,
  type ProjectHistory,
  sendNdjson,
} from '@glci/daemon';
import { DockerSettingError } from '@glci/docker';
import { type FetchProgress, GitlabError } from '@glci/gitlab';
import {
  assertRunnable,
  dropRedactedCiCd,
  formatPipelineIssue,
  PipelineConfigError,
  type PipelinePlan,
  type PlanProjectOptions,
  planProject,
  redactCiCdValues,
} from '@glci/pipeline';
import { packRepository } from '@glci/runner-api';
import { Router } from 'express';
import type { z } from 'zod';
import { Infrastructure, type ReadyInfrastructure } from '../infrastructure.js';
import { ExecutionDetached, PipelineExecution } from '../pipeline-execution.js';
import type { PipelineStatus } from '../scheduler.js';
import { selectedJobs } from '../selected-jobs.js';
import { EngineLoss, type EnginePipeline } from './engine-loss.js';
import { EventLog } from './event-log.js';
import { ExecutionStateFile, executionFile, readExecution, type SavedExecution } from './execution-file.js';
import type { GitlabService } from './gitlab-service.js';
import { HistoryWriter } from './history-writer.js';
import { maintenanceRoutes } from './maintenance-routes.js';
import { answerWithProgress, gitlabHooks, type Planning, shownVariables } from './run-planning.js';
import {
  parseRequest,
  type RunNotCreated,
  type RunStarted,
  type runRequestSchema,
  toWire,
  type WireEvent,
} from './run-request.js';
import { resolveRunSettings } from './run-settings.js';

/** How long a finished pipeline's events stay available to late followers. */
const FINISHED_KEPT_MS = 10 * 60_000;

export interface PipelineServiceOptions {
  readonly config?: GlciConfig;
  readonly instance?: string;
  readonly namePrefix?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Leave the mock and runner containers running when the daemon stops (tests that share them). */
  readonly keepContainers?: boolean;
  /** The daemon's GitLab service: includes and CI/CD variables for `glci run`'s planning. */
  readonly gitlab?: GitlabService;
}

interface ActivePipeline {
  readonly id: number;
  readonly projectDir: string;
  readonly execution: PipelineExecution;
  readonly events: EventLog<WireEvent>;
  readonly done: Promise<PipelineStatus | 'detached'>;
  readonly infrastructure: ReadyInfrastructure;
  readonly history: ProjectHistory;
  /** The plan with its CI/CD values and the GitLab session: a take-over in this daemon keeps them. */
  readonly plan: PipelinePlan;
  readonly planning: Planning | undefined;
  readonly liveSecrets: readonly string[];
  /** Stops following it without ending it (its engine was lost); resolves once its state is saved. */
  detach(): Promise<void>;
}

/**
 * The daemon's pipeline service: plans a project's pipeline (in the daemon, whose modules are
 * warm), sends the repository to the mock, runs it with `PipelineExecution` on the shared
 * infrastructure, writes the history, and streams the events to every `glci run` that follows.
 *
 * ```
 * POST /pipelines                 RunRequest → 201 RunStarted | 200 RunNotCreated | 422 (config errors)
 * POST /pipelines?progress=1      the same as NDJSON: {type: progress} for slow GitLab fetches while
 *                                 planning, then {type: result} or {type: error, status, code, message}
 * GET  /pipelines                 the active pipelines
 * GET  /pipelines/:id/events      NDJSON WireEvents from the start (?from=N), until the pipeline ends
 * POST /pipelines/:id/cancel      {force} → 202
 * POST /registry/…, /cache/clean   see `maintenanceRoutes`
 * ```
 */
export class PipelineService implements DaemonService {
  readonly name = 'pipelines';
  readonly router: Router = Router();
  readonly #active = new Map<number, ActivePipeline>();
  #context: DaemonServiceContext | undefined;
  #history: HistoryStore | undefined;
  #infrastructure: Infrastructure | undefined;
  #infrastructureKey = '';
  #ready: Promise<ReadyInfrastructure> | undefined;
  #recovered: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  /** The infrastructures this daemon has started or taken over (stopped with it). */
  readonly #used = new Set<Infrastructure>();
  readonly #overrides: PipelineServiceOptions;
  #engineLoss: EngineLoss | undefined;

  constructor(overrides: PipelineServiceOptions = {}) {
    this.#overrides = overrides;
    this.router.post('/pipelines', async (req, res) => {
      const request = parseRequest(req.body);
      if (req.query.progress !== '1') {
        const result = await this.runPipeline(request);
        res.status(result.created ? 201 : 200).json(result);
        return;
      }
      // `?progress=1`: NDJSON, the slow fetches from GitLab while planning, then the result.
      await answerWithProgress(res, (onProgress) => this.runPipeline(request, { onProgress }));
    });
    this.router.get('/pipelines', (_req, res) => {
      res.json({
        pipelines: [...this.#active.values()].map((pipeline) => ({
          id: pipeline.id,
          projectDir: pipeline.projectDir,
          status: pipeline.execution.status(),
        })),
      });
    });
    this.router.get('/pipelines/:id/events', async (req, res) => {
      const pipeline = this.#pipeline(req.params.id);
      const from = Number(req.query.from ?? 0);
      await sendNdjson(res, (signal) =>
        pipeline.events.subscribe({ from: Number.isSafeInteger(from) ? from : 0, signal }),
      );
    });
    this.router.post('/pipelines/:id/cancel', async (req, res) => {
      const pipeline = this.#pipeline(req.params.id);
      await pipeline.execution.cancel({ force: req.body?.force === true });
      res.status(202).json({ id: pipeline.id, status: pipeline.execution.status() });
    });
    this.router.use(
      maintenanceRoutes({
        infrastructure: () => this.#infrastructureNow(),
        ready: () => {
          this.#ready = this.#ensure(this.#infrastructureNow());
          return this.#ready;
        },
        running: () => [...this.#active.values()].filter((pipeline) => !pipeline.events.closed).length,
      }),
    );
  }

  async stop(options: { readonly graceful: boolean }): Promise<void> {
    if (!options.graceful) {
      await Promise.allSettled(
        [...this.#active.values()].map((pipeline) => pipeline.execution.cancel({ force: true })),
      );
    }
    await Promise.allSettled([...this.#active.values()].map((pipeline) => pipeline.done));
    this.#engineLoss?.close();
    await this.#stopContainers();
  }

  /**
   * The mock and the runner stop with the daemon (its idle stop, `glci daemon stop`): a runner
   * polling an idle mock costs the machine for nothing. Only those this daemon used (started, or
   * took over from a previous one): a daemon that never ran a pipeline touches no container. A
   * daemon that dies without stopping (killed, crashed) leaves them running, so the next one can
   * take over its pipelines.
   */
  async #stopContainers(): Promise<void> {
    const context = this.#context;
    if (!context || this.#overrides.keepContainers || this.#used.size === 0) return;
    this.#stopping ??= Promise.all([...this.#used].map((infrastructure) => infrastructure.stop()))
      .then((stopped) => stopped.flat())
      .then(
        (stopped) => {
          context.logger.info('stopped the mock and runner containers', { stopped });
        },
        (error: unknown) => {
          context.logger.warn('could not stop the mock and runner containers', { error: String(error) });
        },
      );
    await this.#stopping;
  }

  activeWork() {
    return [...this.#active.values()]
      .filter((pipeline) => !pipeline.events.closed)
      .map((pipeline) => ({
        kind: 'pipeline',
        id: String(pipeline.id),
        description: pipeline.projectDir,
      }));
  }

  async start(context: DaemonServiceContext): Promise<void> {
    this.#context = context;
    this.#history = new HistoryStore({ glciHome: context.glciHome, logger: context.logger });
    this.#engineLoss = this.#createEngineLoss(context.logger);
    // In the background: the socket answers at once, taken-over pipelines appear as they are found.
    this.#recovered = this.#recover().catch((error: unknown) => {
      context.logger.error('crash recovery failed', { error: String(error) });
    });
  }

  /** Resolves once the pipelines of a previous daemon have been taken over or closed. */
  recovered(): Promise<void> {
    return this.#recovered;
  }

  /**
   * The infrastructure for the user's current configuration (read again for every pipeline):
   * when the settings it is made from changed and nothing runs, it is made anew, so an edited
   * `config.toml` (another runner image, upstream, port) takes effect without a daemon restart.
   */
  #infrastructureNow(): Infrastructure {
    const context = this.#require();
    const config = this.#userConfig();
    const key = JSON.stringify([
      config.runner,
      config.mock,
      config.network,
      config.registry,
      config.docker,
      config.defaults.image,
      // The shared runner container's entries ([runners.NAME]); a project's are synced per pipeline.
      config.runners,
    ]);
    const busy = [...this.#active.values()].some((pipeline) => !pipeline.events.closed);
    if (!this.#infrastructure || (key !== this.#infrastructureKey && !busy)) {
      this.#infrastructureKey = key;
      this.#ready?.then((ready) => ready.events.close()).catch(() => undefined);
      this.#ready = undefined;
      this.#infrastructure = new Infrastructure({
        config,
        glciHome: context.glciHome,
        logger: context.logger,
        session: `daemon-${process.pid}`,
        ...(this.#overrides.instance ? { instance: this.#overrides.instance } : {}),
        ...(this.#overrides.namePrefix ? { namePrefix: this.#overrides.namePrefix } : {}),
        ...(this.#overrides.env ? { env: this.#overrides.env } : {}),
      });
    }
    return this.#infrastructure;
  }

  /** Starts (or adopts) an infrastructure's containers; the daemon stops them when it stops. */
  #ensure(infrastructure: Infrastructure): Promise<ReadyInfrastructure> {
    this.#used.add(infrastructure);
    return infrastructure.ensure();
  }

  /** The user's configuration as it is now (read again each time: an edit applies without a restart). */
  #userConfig(): GlciConfig {
    return (
      this.#overrides.config ??
      loadConfig({ projectFile: null, ...(this.#overrides.env ? { env: this.#overrides.env } : {}) }).config
    );
  }

  /**
   * Applies `[history]` to a project once one of its pipelines ended, so records, traces and
   * artifacts do not pile up on the user's disk. Running pipelines are never removed, nor the one
   * that just ended (its `glci run` may still read its artifacts).
   */
  async #pruneHistory(history: ProjectHistory, ended: number): Promise<void> {
    const logger = this.#require().logger;
    try {
      const { keep_last: keepLast, max_age: maxAge } = this.#userConfig().history;
      await history.prune({
        spare: [ended],
        ...(keepLast > 0 ? { keepLast } : {}),
        ...(maxAge > 0 ? { olderThanMs: maxAge } : {}),
      });
    } catch (error) {
      logger.warn('could not prune the pipeline history', { project: history.dir, error: String(error) });
    }
  }

  /** Plans and starts a pipeline; it runs on in the background, its events in its log. */
  async runPipeline(
    request: z.output<typeof runRequestSchema>,
    progress: { readonly onProgress?: (event: FetchProgress) => void } = {},
  ): Promise<RunStarted | RunNotCreated> {
    this.#require();
    const requestedAt = Date.now();
    let plan: PipelinePlan;
    let contextText = request.context ?? 'merge_request';
    let planning: Planning;
    try {
      const gitlab = request.gitlab && this.#overrides.gitlab?.connection(request.gitlab, progress);
      const options: PlanProjectOptions = {
        ...(request.plan as unknown as PlanProjectOptions),
        ...(gitlab ? { gitlab } : {}),
      };
      plan = await planProject(options);
      planning = { options, ...(gitlab ? { gitlab } : {}) };
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
    if (!plan.created) return { created: false, reason: plan.notCreatedReason ?? 'no jobs' };
    const unknown = request.jobs.filter(
      (name) => !plan.jobs.some((job) => job.name === name || job.definitionName === name),
    );
    if (unknown.length > 0) {
      throw new DaemonHttpError(
        400,
        'unknown-job',
        `no job ${unknown.map((name) => `"${name}"`).join(', ')} in this pipeline; its jobs: ${plan.jobs.map((job) => job.name).join(', ')}`,
      );
    }
    // Runners, registry and the Docker settings' refusals: before anything is recorded or started.
    const settings = resolveRunSettings({
      user: this.#userConfig(),
      plan,
      request,
      ...(this.#overrides.env ? { env: this.#overrides.env } : {}),
    });
    const plannedAt = Date.now();
    const history = this.#history!.project(plan.context.projectDir);
    const record = await history.createPipeline({
      ref: plan.context.ref,
      sha: plan.context.sha,
      context: contextText,
      ...(request.preset ? { preset: request.preset } : {}),
      jobs: [],
    });
    let infrastructure: ReadyInfrastructure;
    try {
      this.#ready = this.#ensure(this.#infrastructureNow());
      infrastructure = await this.#ready;
    } catch (error) {
      // Nothing ran: the record says why, and so does the answer (a setting's refusal names it).
      const reason = error instanceof Error ? error.message : String(error);
      await this.#markFailed(history, record.id, reason).catch(() => undefined);
      if (error instanceof DockerSettingError) throw new DaemonHttpError(422, 'docker-setting', reason);
      throw error;
    }
    await infrastructure.projectRunners.ensure(plan.context.projectPath, settings.runners);
    const external = settings.externalRegistry;
    if (external) await infrastructure.client.setExternalRegistry(external.host, external.credentials);
    const infrastructureReadyAt = Date.now();
    const sha = await this.#sendRepository(infrastructure, plan, record.id);
    const iso = (ms: number) => new Date(ms).toISOString();
    // Not awaited: the first job need not wait for a record write (writes to it are serialized).
    void history
      .updatePipeline(record.id, (current) => ({
        ...current,
        phases: {
          ...(request.cliStartedAt !== undefined ? { cliStartedAt: iso(request.cliStartedAt) } : {}),
          requestedAt: iso(requestedAt),
          plannedAt: iso(plannedAt),
          infrastructureReadyAt: iso(infrastructureReadyAt),
          repositorySentAt: iso(Date.now()),
        },
      }))
      .catch((error: unknown) =>
        this.#require().logger.warn('could not record the pipeline phases', { error: String(error) }),
      );
    const runManual = request.manualAll
      ? plan.jobs.filter((job) => job.when === 'manual').map((job) => job.name)
      : request.manual;
    this.#launch(
      infrastructure,
      history,
      {
        version: 1,
        pipelineId: record.id,
        plan,
        sha,
        concurrency: request.concurrency,
        runManual,
        selectJobs: request.jobs,
        registry: request.registry,
        pushThrough: request.pushThrough,
        runners: settings.runners,
        anyRunner: settings.anyRunner,
        ...(external ? { externalRegistry: { host: external.host, plainHttp: external.plainHttp } } : {}),
      },
      planning,
      external?.credentials ? [external.credentials.password] : [],
    );
    const jobs = selectedJobs(plan, request.jobs.length > 0 ? request.jobs : undefined);
    return {
      created: true,
      pipelineId: record.id,
      context: contextText,
      ...(plan.name ? { name: plan.name } : {}),
      ref: plan.context.ref,
      sha,
      stages: plan.stages,
      jobs: jobs.map((job) => ({ name: job.name, stage: job.stage })),
      excluded: plan.excluded.length,
      ...(plan.warnings.length > 0 ? { warnings: plan.warnings } : {}),
      ...(request.showVariables ? { variables: shownVariables(jobs) } : {}),
    };
  }

  /**
   * Runs a pipeline on the infrastructure, writing its history and its `execution.json` (what a
   * restarted daemon needs to take it over), and keeps it among the active pipelines.
   */
  #launch(
    infrastructure: ReadyInfrastructure,
    history: ProjectHistory,
    saved: SavedExecution,
    planning?: Planning,
    /** Secrets to mask in jobs' live output that are not in their specs (never saved). */
    liveSecrets: readonly string[] = [],
    /** The events its followers read already (a pipeline taken over in this daemon). */
    events: EventLog<WireEvent> = new EventLog<WireEvent>({
      sizeOf: (event) =>
        event.type === 'trace' ? event.data.length : event.type === 'live' ? event.text.length : 0,
    }),
  ): ActivePipeline {
    const logger = this.#require().logger;
    const { plan, sha, pipelineId } = saved;
    const writer = new HistoryWriter({ history, client: infrastructure.client, logger });
    const stateFiles = new Map<number, ExecutionStateFile>();
    const stateFile = (id: number, base: SavedExecution) => {
      let file = stateFiles.get(id);
      if (!file) {
        // CI/CD variables stay in memory: the file a restarted daemon reads has their names only.
        file = new ExecutionStateFile(
          executionFile(history, id),
          { ...base, plan: redactCiCdValues(base.plan) },
          logger,
        );
        stateFiles.set(id, file);
      }
      return file;
    };
    stateFile(pipelineId, saved);
    const execution = new PipelineExecution({
      ...(liveSecrets.length > 0 ? { liveSecrets } : {}),
      pipelineId,
      plan,
      projectPath: plan.context.projectPath,
      sha,
      client: infrastructure.client,
      events: infrastructure.events,
      images: infrastructure.images,
      dind: infrastructure.dind,
      resourceGroups: infrastructure.resourceGroups,
      slots: infrastructure.slots,
      live: infrastructure.live,
      logger,
      concurrency: saved.concurrency,
      runManual: new Set(saved.runManual),
      ...(saved.selectJobs.length > 0 ? { selectJobs: saved.selectJobs } : {}),
      ...(saved.state ? { resume: saved.state } : {}),
      registry: saved.registry ?? true,
      ...(saved.runners ? { runners: saved.runners } : {}),
      ...(saved.anyRunner ? { anyRunner: true } : {}),
      ...(saved.externalRegistry ? { externalRegistry: saved.externalRegistry } : {}),
      hooks: {
        emit: (event) => {
          writer.apply(event);
          events.push(toWire(event));
        },
        storeArtifacts: (job, artifacts) => writer.storeArtifacts(job, artifacts),
        saveState: (state) => stateFiles.get(state.pipelineId)?.save(state),
        traceLength: async (jobId) => (await history.job(pipelineId, jobId).readTrace()).length,
        ...gitlabHooks(planning),
        sendRepository: (downstream, id) => this.#sendRepository(infrastructure, downstream, id),
        allocatePipelineId: async () => {
          const child = await history.createPipeline({
            ref: plan.context.ref,
            sha,
            parentId: pipelineId,
            jobs: [],
          });
          // A child pipeline runs on its parent's commit, under a pipeline ref of its own.
          await infrastructure.client.pointRefs({
            project: plan.context.projectPath,
            sha,
            ref: plan.context.ref,
            refType: plan.context.refType,
            pipelineId: child.id,
          });
          return child.id;
        },
      },
    });
    const pushThrough = saved.pushThrough === true;
    const launchedAt = Date.now();
    let detached = false;
    const done = (pushThrough ? infrastructure.pushThrough.acquire(infrastructure.client) : Promise.resolve())
      .then(() => execution.run())
      .catch((error: unknown) => {
        // Detached from a lost engine: not ended; whoever takes it over ends it.
        if (detached || error instanceof ExecutionDetached) return 'detached' as const;
        logger.error('pipeline failed to run', { pipelineId, error: String(error) });
        // Its followers learn why, instead of seeing the event stream end without a result.
        const finished = {
          type: 'pipeline-finished',
          pipelineId,
          status: 'failed',
          durationMs: Date.now() - launchedAt,
          error: error instanceof Error ? error.message : String(error),
        } as const;
        writer.apply(finished);
        events.push(toWire(finished));
        return 'failed' as const;
      })
      .finally(async () => {
        if (detached) return;
        if (pushThrough) {
          await infrastructure.pushThrough.release(infrastructure.client).catch((error: unknown) => {
            logger.warn('could not switch the push-through mirror back', { error: String(error) });
          });
        }
        await writer.flushed();
        await Promise.allSettled([...stateFiles.values()].map((file) => file.finish()));
        await this.#pruneHistory(history, pipelineId);
        events.close();
        this.#engineIdle(infrastructure);
        // A `glci run` that reconnects just after the end still gets the events for a while.
        setTimeout(() => {
          if (this.#active.get(pipelineId)?.execution === execution) this.#active.delete(pipelineId);
        }, FINISHED_KEPT_MS).unref();
      });
    const active: ActivePipeline = {
      id: pipelineId,
      projectDir: plan.context.projectDir,
      execution,
      events,
      done,
      infrastructure,
      history,
      plan,
      planning,
      liveSecrets,
      detach: async () => {
        detached = true;
        execution.detach();
        await writer.flushed();
        await Promise.allSettled([...stateFiles.values()].map((file) => file.finish()));
      },
    };
    this.#active.set(pipelineId, active);
    this.#engineLoss?.watch(infrastructure);
    return active;
  }

  /**
   * After a restart: takes over the pipelines a previous daemon left running when its mock and
   * runner containers are still up (running jobs re-attached, pending ones dispatched); marks them
   * failed otherwise, and removes what their jobs left behind.
   */
  async #recover(): Promise<void> {
    const store = this.#history!;
    const stranded: { history: ProjectHistory; record: PipelineRecord }[] = [];
    for (const project of await store.projects()) {
      const history = store.project(project.dir);
      for (const record of await history.listPipelines()) {
        if (isActivePipeline(record.status)) stranded.push({ history, record });
      }
    }
    if (stranded.length === 0) return;
    const infrastructure = this.#infrastructureNow();
    const alive = await infrastructure.alive().catch(() => false);
    for (const { history, record } of stranded) {
      const saved = await readExecution(history, record.id);
      // Child pipelines are taken over with their parent's execution, not on their own.
      if (record.parentId !== undefined && saved !== undefined) continue;
      if (alive && saved) {
        // The external registry's password of the user config masks live output again; a
        // --registry-password given to the earlier daemon is not known here.
        const password = this.#userConfig().registry.password;
        await this.#takeOver(infrastructure, history, {
          saved: { ...saved, plan: dropRedactedCiCd(saved.plan) },
          liveSecrets: saved.externalRegistry && password ? [password] : [],
        });
        continue;
      }
      await this.#markFailed(
        history,
        record.id,
        !saved
          ? 'the daemon stopped before the pipeline started'
          : 'the daemon stopped, and its mock or runner container with it',
      );
    }
    if (!alive) await infrastructure.removeLeftovers().catch(() => undefined);
  }

  /** Runs a pipeline on from its saved execution (a restart, or its engine back). */
  async #takeOver(
    infrastructure: Infrastructure,
    history: ProjectHistory,
    from: {
      saved: SavedExecution;
      planning?: Planning;
      liveSecrets: readonly string[];
      events?: EventLog<WireEvent>;
    },
  ): Promise<void> {
    this.#require().logger.info('taking a pipeline over', { pipelineId: from.saved.pipelineId });
    this.#ready = this.#ensure(infrastructure);
    this.#launch(await this.#ready, history, from.saved, from.planning, from.liveSecrets, from.events);
  }

  /**
   * Ends a pipeline no daemon can carry on: running and pending jobs failed (running ones with
   * `runner_system_failure`), jobs that had not started canceled; its followers (if any) told why.
   */
  async #markFailed(
    history: ProjectHistory,
    pipelineId: number,
    reason: string,
    events?: EventLog<WireEvent>,
  ): Promise<void> {
    this.#require().logger.warn('marking a pipeline failed', { pipelineId, reason });
    let startedAt: string | undefined;
    await history.updatePipeline(pipelineId, (current) => {
      startedAt = current.startedAt;
      return {
        ...current,
        status: 'failed',
        finishedAt: new Date().toISOString(),
        jobs: current.jobs.map((job) =>
          ['running', 'pending', 'created', 'scheduled'].includes(job.status)
            ? {
                ...job,
                status: job.status === 'running' || job.status === 'pending' ? 'failed' : 'canceled',
                failureReason: job.status === 'running' ? 'runner_system_failure' : job.failureReason,
              }
            : job,
        ),
      };
    });
    if (!events) return;
    const durationMs = startedAt ? Date.now() - Date.parse(startedAt) : 0;
    events.push(
      toWire({ type: 'pipeline-finished', pipelineId, status: 'failed', durationMs, error: reason }),
    );
    events.close();
    setTimeout(() => {
      if (this.#active.get(pipelineId)?.events === events) this.#active.delete(pipelineId);
    }, FINISHED_KEPT_MS).unref();
  }

  /** See `EngineLoss`: a lost engine detaches its pipelines, then takes them over or fails them. */
  #createEngineLoss(logger: Logger): EngineLoss {
    const lostOn = new Map<number, ActivePipeline>();
    const asLost = (pipeline: ActivePipeline): EnginePipeline => ({
      id: pipeline.id,
      detach: async () => {
        lostOn.set(pipeline.id, pipeline);
        await pipeline.detach();
      },
      notify: (message) => pipeline.events.push({ type: 'notice', pipelineId: pipeline.id, message }),
    });
    return new EngineLoss({
      logger,
      reconnectTimeoutMs: () => this.#userConfig().docker.reconnect_timeout,
      ...(this.#overrides.env ? { env: this.#overrides.env } : {}),
      pipelinesOn: (ready) =>
        [...this.#active.values()]
          .filter((pipeline) => pipeline.infrastructure === ready && !pipeline.events.closed)
          .map(asLost),
      drop: (ready) => {
        // Made anew from the engine when it is back (connection, tunnel, event streams).
        ready.close();
        if (this.#infrastructure) this.#used.delete(this.#infrastructure);
        this.#infrastructure = undefined;
        this.#ready = undefined;
      },
      takeOver: async (pipelines, host) => {
        const infrastructure = this.#infrastructureNow();
        const alive = await infrastructure.alive().catch(() => false);
        for (const { id } of pipelines) {
          const pipeline = lostOn.get(id);
          if (!pipeline) continue;
          const saved = await readExecution(pipeline.history, id);
          if (!alive || !saved) {
            await this.#markFailed(
              pipeline.history,
              id,
              `the Docker engine ${host} is back, but glci's mock or runner container did not survive on it`,
              pipeline.events,
            );
          } else {
            await this.#takeOver(infrastructure, pipeline.history, {
              saved: { ...saved, plan: pipeline.plan },
              ...(pipeline.planning ? { planning: pipeline.planning } : {}),
              liveSecrets: pipeline.liveSecrets,
              events: pipeline.events,
            });
          }
          // Only now: a take-over that throws leaves it to `fail`, never hanging.
          lostOn.delete(id);
        }
        if (!alive) await infrastructure.removeLeftovers().catch(() => undefined);
      },
      fail: async (pipelines, reason) => {
        for (const { id } of pipelines) {
          const pipeline = lostOn.get(id);
          lostOn.delete(id);
          if (pipeline) await this.#markFailed(pipeline.history, id, reason, pipeline.events);
        }
      },
    });
  }

  /** No pipeline runs on `infrastructure` any more: its engine need not be watched. */
  #engineIdle(infrastructure: ReadyInfrastructure): void {
    const busy = [...this.#active.values()].some(
      (pipeline) => pipeline.infrastructure === infrastructure && !pipeline.events.closed,
    );
    if (!busy) this.#engineLoss?.idle(infrastructure);
  }

  /** Sends the commit (or the dirty work tree) to the mock, leaving out what it has already. */
  async #sendRepository(
    infrastructure: ReadyInfrastructure,
    plan: PipelinePlan,
    pipelineId: number,
  ): Promise<string> {
    const { client } = infrastructure;
    const project = plan.context.projectPath;
    const packed = await packRepository({
      repoDir: plan.context.projectDir,
      dirty: plan.context.dirty,
      rev: plan.context.sha,
      exclude: await client.knownCommits(project),
    });
    const sent = await client.sendPack(packed.pack, {
      project,
      sha: packed.sha,
      ref: plan.context.ref,
      refType: plan.context.refType,
      pipelineId,
    });
    return sent.sha;
  }

  #pipeline(id: string | undefined): ActivePipeline {
    const pipeline = this.#active.get(Number(id));
    if (!pipeline)
      throw new DaemonHttpError(404, 'not-found', `pipeline ${id} is not running in this daemon`);
    return pipeline;
  }

  #require(): DaemonServiceContext {
    if (!this.#context) throw new Error('the pipeline service has not been started');
    return this.#context;
  }
}
