import type { Logger } from '@glci/config';
import type { ProjectHistory } from '@glci/daemon';
import { type PipelinePlan, redactCiCdValues } from '@glci/pipeline';
import type { ReadyInfrastructure } from '../infrastructure.js';
import { ExecutionDetached, PipelineExecution } from '../pipeline-execution.js';
import type { PipelineStatus } from '../scheduler.js';
import { EventLog } from './event-log.js';
import { ExecutionStateFile, executionFile, type SavedExecution } from './execution-file.js';
import { HistoryWriter } from './history-writer.js';
import { gitlabHooks, type Planning } from './run-planning.js';
import { toWire, type WireEvent } from './run-request.js';
import { sendRepository } from './send-repository.js';

/** How long a finished pipeline's events stay available to late followers. */
export const FINISHED_KEPT_MS = 10 * 60_000;

/** A pipeline the daemon runs, or ran a short while ago (its events still there for late followers). */
export interface ActivePipeline {
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

export interface LaunchContext {
  readonly infrastructure: ReadyInfrastructure;
  readonly history: ProjectHistory;
  readonly logger: Logger;
  /** Once the pipeline ended and its history is written (the service prunes the project's history). */
  readonly ended: (history: ProjectHistory, pipelineId: number) => Promise<void>;
  /** A while after the end: the pipeline leaves the active ones (unless taken over since). */
  readonly forget: (pipeline: ActivePipeline) => void;
  /** Its events closed: it runs no more (the service stops watching an engine nothing runs on). */
  readonly closed?: (pipeline: ActivePipeline) => void;
}

/**
 * Runs a pipeline on the infrastructure in the background, writing its history and its
 * `execution.json` (what a restarted daemon needs to take it over), its events in an `EventLog`
 * that every follower reads.
 */
export function launchPipeline(
  context: LaunchContext,
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
  const { infrastructure, history, logger } = context;
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
      sendRepository: (downstream, id) => sendRepository(infrastructure.client, downstream, id),
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
      await context.ended(history, pipelineId);
      events.close();
      context.closed?.(active);
      // A `glci run` that reconnects just after the end still gets the events for a while.
      setTimeout(() => context.forget(active), FINISHED_KEPT_MS).unref();
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
  return active;
}
