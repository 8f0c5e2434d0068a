import type { DaemonService } from '@glci/daemon';
import type { CliContext } from '../../cli-context.js';

/**
 * The services `glci daemon run` hosts: the pipeline service (`@glci/executor`: planning,
 * scheduling, the mock and runner containers, `POST /pipelines`, `GET /pipelines/:id/events`,
 * `POST /pipelines/:id/cancel`). Loaded here only, so the CLI's other commands never import it.
 */
export async function daemonServices(_ctx: CliContext): Promise<DaemonService[]> {
  const { PipelineService } = await import('@glci/executor');
  return [new PipelineService()];
}
