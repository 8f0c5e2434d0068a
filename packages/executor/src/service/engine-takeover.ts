import type { Logger } from '@glci/config';
import type { ProjectHistory } from '@glci/daemon';
import type { Infrastructure, ReadyInfrastructure } from '../infrastructure.js';
import { EngineLoss, type EnginePipeline } from './engine-loss.js';
import type { EventLog } from './event-log.js';
import { readExecution, type SavedExecution } from './execution-file.js';
import type { ActivePipeline } from './pipeline-launch.js';
import { markPipelineFailed } from './pipeline-recovery.js';
import type { Planning } from './run-planning.js';
import type { WireEvent } from './run-request.js';

export interface EngineTakeoverContext {
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** `[docker] reconnect_timeout` of the user's configuration as it is now. */
  readonly reconnectTimeoutMs: () => number;
  readonly active: () => Iterable<ActivePipeline>;
  /** The infrastructure for the user's current configuration (a new one once `drop` ran). */
  readonly infrastructure: () => Infrastructure;
  /** Forgets the current infrastructure: it is made anew when the engine is back. */
  readonly drop: () => void;
  readonly ensure: (infrastructure: Infrastructure) => Promise<ReadyInfrastructure>;
  /** Runs a pipeline on from its saved execution, its followers' events going on in `events`. */
  readonly launch: (
    ready: ReadyInfrastructure,
    history: ProjectHistory,
    saved: SavedExecution,
    planning: Planning | undefined,
    liveSecrets: readonly string[],
    events: EventLog<WireEvent>,
  ) => void;
  /** A while after a pipeline ended here: it leaves the active ones. */
  readonly forget: (pipeline: ActivePipeline) => void;
}

/**
 * The daemon's `EngineLoss`: the pipelines on a lost engine are detached; when the engine is back
 * with glci's mock and runner still running, each is taken over in this daemon (its plan with the
 * CI/CD values, its GitLab session and its followers' event log kept), exactly as a restarted
 * daemon takes it over from `execution.json`; otherwise it is marked failed with the reason.
 */
export function createEngineLoss(context: EngineTakeoverContext): EngineLoss {
  const lost = new Map<number, ActivePipeline>();
  const asLost = (pipeline: ActivePipeline): EnginePipeline => ({
    id: pipeline.id,
    detach: async () => {
      lost.set(pipeline.id, pipeline);
      await pipeline.detach();
    },
    notify: (message) => pipeline.events.push({ type: 'notice', pipelineId: pipeline.id, message }),
  });
  const fail = async (pipeline: ActivePipeline, reason: string) => {
    await markPipelineFailed(pipeline.history, pipeline.id, reason, context.logger, pipeline.events);
    context.forget(pipeline);
  };
  return new EngineLoss({
    logger: context.logger,
    reconnectTimeoutMs: context.reconnectTimeoutMs,
    ...(context.env ? { env: context.env } : {}),
    pipelinesOn: (ready) =>
      [...context.active()]
        .filter((pipeline) => pipeline.infrastructure === ready && !pipeline.events.closed)
        .map(asLost),
    drop: (ready) => {
      // Its connections, tunnel and event streams are dead.
      ready.close();
      context.drop();
    },
    takeOver: async (pipelines, host) => {
      const infrastructure = context.infrastructure();
      const alive = await infrastructure.alive().catch(() => false);
      for (const { id } of pipelines) {
        const pipeline = lost.get(id);
        if (!pipeline) continue;
        const saved = await readExecution(pipeline.history, id);
        if (!alive || !saved) {
          await fail(
            pipeline,
            `the Docker engine ${host} is back, but glci's mock or runner container did not survive on it`,
          );
        } else {
          context.logger.info('taking a pipeline over on the engine that came back', {
            pipelineId: id,
            host,
          });
          context.launch(
            await context.ensure(infrastructure),
            pipeline.history,
            { ...saved, plan: pipeline.plan },
            pipeline.planning,
            pipeline.liveSecrets,
            pipeline.events,
          );
        }
        // Only now: a take-over that throws leaves the pipeline to `fail`, never hanging.
        lost.delete(id);
      }
      if (!alive) await infrastructure.removeLeftovers().catch(() => undefined);
    },
    fail: async (pipelines, reason) => {
      for (const { id } of pipelines) {
        const pipeline = lost.get(id);
        lost.delete(id);
        if (pipeline) await fail(pipeline, reason);
      }
    },
  });
}
