import { resolveDockerHost } from '@glci/config';
import { type DockerConnection, DockerOrchestrator } from '@glci/docker';
import type { CliContext } from '../../cli-context.js';

/** Connects to the Docker daemon the configuration names ([docker] host → DOCKER_HOST → Docker context → socket). */
export async function openOrchestrator(
  ctx: CliContext,
): Promise<DockerOrchestrator & { connection: DockerConnection }> {
  const endpoint = resolveDockerHost(ctx.config().config, ctx.env);
  return DockerOrchestrator.connect(endpoint, { logger: ctx.logger(), env: ctx.env });
}
