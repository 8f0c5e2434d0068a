import type { Logger } from '@glci/config';
import { type HistoryStore, isActivePipeline, type PipelineRecord, type ProjectHistory } from '@glci/daemon';
import { dropRedactedCiCd } from '@glci/pipeline';
import type { Infrastructure, ReadyInfrastructure } from '../infrastructure.js';
import type { EventLog } from './event-log.js';
import { readExecution, type SavedExecution } from './execution-file.js';
import { toWire, type WireEvent } from './run-request.js';

export interface RecoveryContext {
  readonly store: HistoryStore;
  readonly logger: Logger;
  /** The infrastructure for the user's current configuration. */
  readonly infrastructure: () => Infrastructure;
  /** Starts (or adopts) an infrastructure's containers. */
  readonly ensure: (infrastructure: Infrastructure) => Promise<ReadyInfrastructure>;
  /** The external registry's password of the user config, if any. */
  readonly registryPassword: () => string | undefined;
  /** Runs a taken-over pipeline on, as the service runs its own. */
  readonly launch: (
    infrastructure: ReadyInfrastructure,
    history: ProjectHistory,
    saved: SavedExecution,
    liveSecrets: readonly string[],
  ) => void;
}

/**
 * After a restart: takes over the pipelines a previous daemon left running when its mock and
 * runner containers are still up (running jobs re-attached, pending ones dispatched); marks them
 * failed otherwise, and removes what their jobs left behind.
 */
export async function recoverPipelines(context: RecoveryContext): Promise<void> {
  const { store } = context;
  const stranded: { history: ProjectHistory; record: PipelineRecord }[] = [];
  for (const project of await store.projects()) {
    const history = store.project(project.dir);
    for (const record of await history.listPipelines()) {
      if (isActivePipeline(record.status)) stranded.push({ history, record });
    }
  }
  if (stranded.length === 0) return;
  const infrastructure = context.infrastructure();
  const alive = await infrastructure.alive().catch(() => false);
  for (const { history, record } of stranded) {
    const saved = await readExecution(history, record.id);
    // Child pipelines are taken over with their parent's execution, not on their own.
    if (record.parentId !== undefined && saved !== undefined) continue;
    if (alive && saved) {
      context.logger.info('taking over a pipeline after a restart', { pipelineId: record.id });
      const ready = await context.ensure(infrastructure);
      // The external registry's password of the user config masks live output again; a
      // --registry-password given to the earlier daemon is not known here.
      const password = context.registryPassword();
      context.launch(
        ready,
        history,
        { ...saved, plan: dropRedactedCiCd(saved.plan) },
        saved.externalRegistry && password ? [password] : [],
      );
      continue;
    }
    await markPipelineFailed(
      history,
      record.id,
      !saved
        ? 'the daemon stopped before the pipeline started'
        : 'the daemon stopped, and its mock or runner container with it',
      context.logger,
    );
  }
  if (!alive) await infrastructure.removeLeftovers().catch(() => undefined);
}

/**
 * Ends a pipeline no daemon can carry on: running and pending jobs failed (running ones with
 * `runner_system_failure`), jobs that had not started canceled; its followers, if it has any,
 * get a `pipeline-finished` with the reason.
 */
export async function markPipelineFailed(
  history: ProjectHistory,
  pipelineId: number,
  reason: string,
  logger: Logger,
  events?: EventLog<WireEvent>,
): Promise<void> {
  logger.warn('marking a pipeline failed', { pipelineId, reason });
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
  events.push(toWire({ type: 'pipeline-finished', pipelineId, status: 'failed', durationMs, error: reason }));
  events.close();
}
