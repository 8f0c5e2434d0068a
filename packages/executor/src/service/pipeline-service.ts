import { type GlciConfig, type Logger, loadConfig } from '@glci/config';
import {
  DaemonHttpError,
  type DaemonService,
  type DaemonServiceContext,
  HistoryStore,
  type ProjectHistory,
  sendNdjson,
} from '@glci/daemon';
import { DockerSettingError } from '@glci/docker';
import type { FetchProgress } from '@glci/gitlab';
import { Router } from 'express';
import type { z } from 'zod';
import { Infrastructure, type ReadyInfrastructure } from '../infrastructure.js';
import { selectedJobs } from '../selected-jobs.js';
import type { EngineLoss } from './engine-loss.js';
import { createEngineLoss } from './engine-takeover.js';
import type { EventLog } from './event-log.js';
import type { SavedExecution } from './execution-file.js';
import type { GitlabService } from './gitlab-service.js';
import { maintenanceRoutes } from './maintenance-routes.js';
import { type ActivePipeline, FINISHED_KEPT_MS, launchPipeline } from './pipeline-launch.js';
import { markPipelineFailed, recoverPipelines } from './pipeline-recovery.js';
import { planRequest } from './plan-request.js';
import { answerWithProgress, type Planning, shownVariables } from './run-planning.js';
import {
  parseRequest,
  type RunNotCreated,
  type RunStarted,
  type runRequestSchema,
  type WireEvent,
} from './run-request.js';
import { resolveRunSettings } from './run-settings.js';
import { sendRepository } from './send-repository.js';

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
  #engineLoss: EngineLoss | undefined;
  readonly #overrides: PipelineServiceOptions;

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
    const store = new HistoryStore({ glciHome: context.glciHome, logger: context.logger });
    this.#history = store;
    this.#engineLoss = this.#createEngineLoss(context.logger);
    // In the background: the socket answers at once, taken-over pipelines appear as they are found.
    this.#recovered = recoverPipelines({
      store,
      logger: context.logger,
      infrastructure: () => this.#infrastructureNow(),
      ensure: (infrastructure) => {
        this.#ready = this.#ensure(infrastructure);
        return this.#ready;
      },
      registryPassword: () => this.#userConfig().registry.password,
      launch: (infrastructure, history, saved, liveSecrets) => {
        this.#launch(infrastructure, history, saved, undefined, liveSecrets);
      },
    }).catch((error: unknown) => {
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
    const { plan, planning, contextText } = await planRequest(request, this.#overrides.gitlab, progress);
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
      await markPipelineFailed(history, record.id, reason, this.#require().logger).catch(() => undefined);
      if (error instanceof DockerSettingError) throw new DaemonHttpError(422, 'docker-setting', reason);
      throw error;
    }
    await infrastructure.projectRunners.ensure(plan.context.projectPath, settings.runners);
    const external = settings.externalRegistry;
    if (external) await infrastructure.client.setExternalRegistry(external.host, external.credentials);
    const infrastructureReadyAt = Date.now();
    const sha = await sendRepository(infrastructure.client, plan, record.id);
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
   * Runs a pipeline on the infrastructure (`launchPipeline`) and keeps it among the active
   * pipelines until a while after its end.
   */
  #launch(
    infrastructure: ReadyInfrastructure,
    history: ProjectHistory,
    saved: SavedExecution,
    planning?: Planning,
    liveSecrets: readonly string[] = [],
    events?: EventLog<WireEvent>,
  ): ActivePipeline {
    const active = launchPipeline(
      {
        infrastructure,
        history,
        logger: this.#require().logger,
        ended: (ended, pipelineId) => this.#pruneHistory(ended, pipelineId),
        forget: (pipeline) => this.#forget(pipeline),
        closed: (pipeline) => {
          const busy = [...this.#active.values()].some(
            (other) => other.infrastructure === pipeline.infrastructure && !other.events.closed,
          );
          if (!busy) this.#engineLoss?.idle(pipeline.infrastructure);
        },
      },
      saved,
      planning,
      liveSecrets,
      events,
    );
    this.#active.set(active.id, active);
    this.#engineLoss?.watch(infrastructure);
    return active;
  }

  /** The pipeline leaves the active ones, unless it was taken over since (another execution). */
  #forget(pipeline: ActivePipeline): void {
    if (this.#active.get(pipeline.id) === pipeline) this.#active.delete(pipeline.id);
  }

  /** A Docker engine lost mid-pipeline: see `EngineLoss` and `createEngineLoss`. */
  #createEngineLoss(logger: Logger): EngineLoss {
    return createEngineLoss({
      logger,
      ...(this.#overrides.env ? { env: this.#overrides.env } : {}),
      reconnectTimeoutMs: () => this.#userConfig().docker.reconnect_timeout,
      active: () => this.#active.values(),
      infrastructure: () => this.#infrastructureNow(),
      drop: () => {
        if (this.#infrastructure) this.#used.delete(this.#infrastructure);
        this.#infrastructure = undefined;
        this.#ready = undefined;
      },
      ensure: (infrastructure) => {
        this.#ready = this.#ensure(infrastructure);
        return this.#ready;
      },
      launch: (ready, history, saved, planning, liveSecrets, events) => {
        this.#launch(ready, history, saved, planning, liveSecrets, events);
      },
      forget: (pipeline) => setTimeout(() => this.#forget(pipeline), FINISHED_KEPT_MS).unref(),
    });
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
