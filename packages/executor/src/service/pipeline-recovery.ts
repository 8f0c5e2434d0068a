import type { Logger } from '@glci/config';
import { type HistoryStore, isActivePipeline, type PipelineRecord, type ProjectHistory } from '@glci/daemon';
import { dropRedactedCiCd } from '@glci/pipeline';
import type { Infrastructure, ReadyInfrastructure } from '../infrastructure.js';
import { readExecution, type SavedExecution } from './execution-file.js';

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
    const reason = !saved
      ? 'the daemon stopped before the pipeline started'
      : 'the daemon stopped, and its mock or runner container with it';
    context.logger.warn('marking a pipeline failed after a restart', { pipelineId: record.id, reason });
    await history.updatePipeline(record.id, (current) => ({
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
    }));
  }
  if (!alive) await infrastructure.removeLeftovers().catch(() => undefined);
}
