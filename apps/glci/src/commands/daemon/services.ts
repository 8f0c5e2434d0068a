import type { DaemonService } from '@glci/daemon';
import type { CliContext } from '../../cli-context.js';

/**
 * The services `glci daemon run` hosts: the GitLab service (the CI/CD variables held in memory,
 * `POST /gitlab/variables`) and the pipeline service (`@glci/executor`: planning,
 * scheduling, the mock and runner containers, `POST /pipelines`, `GET /pipelines/:id/events`,
 * `POST /pipelines/:id/cancel`). Loaded here only, so the CLI's other commands never import it.
 */
export async function daemonServices(ctx: CliContext): Promise<DaemonService[]> {
  const { GitlabService, PipelineService } = await import('@glci/executor');
  // GLCI_INSTANCE keeps a second installation (or a test) apart: its own mock, runner, volumes
  // and networks, named glci-<instance>-…, on the same Docker host.
  const instance = ctx.env.GLCI_INSTANCE;
  if (instance !== undefined && !/^[a-z0-9][a-z0-9-]{0,30}$/.test(instance)) {
    throw new Error(`GLCI_INSTANCE must be lower-case letters, digits and dashes, not "${instance}"`);
  }
  // The GitLab service holds the CI/CD variables in memory ([gitlab] secrets_ttl) for every command.
  const gitlab = new GitlabService();
  return [
    gitlab,
    new PipelineService({ gitlab, ...(instance ? { instance, namePrefix: `glci-${instance}` } : {}) }),
  ];
}
