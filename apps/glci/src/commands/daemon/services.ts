import type { DaemonService } from '@glci/daemon';
import type { CliContext } from '../../cli-context.js';

/**
 * The services `glci daemon run` hosts. The pipeline service (scheduler, runner orchestration,
 * `POST /pipelines`, `GET /pipelines/:id/events`, `POST /pipelines/:id/cancel`) is added here.
 */
export async function daemonServices(_ctx: CliContext): Promise<DaemonService[]> {
  return [];
}
