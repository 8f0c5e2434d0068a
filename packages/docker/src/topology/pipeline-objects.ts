import { dockerCall } from '../docker-call.js';
import { LABEL_ROLE } from '../labels.js';
import type { StartedContainer, StartedNetwork } from '../orchestrator.js';
import { MOCK_ALIAS, type TopologyContext } from './context.js';

export interface PipelineNetworks {
  readonly pipelineId: string;
  readonly network: StartedNetwork;
  readonly mock: StartedContainer;
}

export interface RemovedObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** The pipeline network with the (running) mock attached as `glci-mock`. */
export async function createPipelineNetwork(
  ctx: TopologyContext,
  mock: StartedContainer,
  pipelineId: string,
): Promise<PipelineNetworks> {
  const network = await ctx.orchestrator.createNetwork({
    name: ctx.names.pipelineNetwork(pipelineId),
    labels: ctx.labels('pipeline-network', { pipeline: pipelineId }),
  });
  await network.connect(mock.id, { aliases: [MOCK_ALIAS] });
  ctx.logger.info('pipeline network ready', { pipeline: pipelineId, network: network.name });
  return { pipelineId, network, mock };
}

/**
 * Removes a pipeline's containers, networks and runner config volumes, found by label; objects
 * already gone are fine. The shared mock is detached, not removed.
 */
export async function removePipelineObjects(
  ctx: TopologyContext,
  pipelineId: string,
): Promise<RemovedObjects> {
  const found = await ctx.orchestrator.find({ instance: ctx.instance, pipeline: pipelineId });
  const removed: RemovedObjects = { containers: [], networks: [], volumes: [] };
  for (const info of found.containers) {
    if (info.labels[LABEL_ROLE] === 'mock') continue;
    const container = await ctx.orchestrator.getContainer(info.id);
    await container?.stop({ timeoutMs: 2000, remove: true });
    removed.containers.push(info.name);
  }
  // DinD job networks before the pipeline network; both detach the mock first.
  const networks = [...found.networks].sort((a, b) => b.name.length - a.name.length);
  for (const info of networks) {
    await (await ctx.orchestrator.getNetwork(info.name))?.remove();
    removed.networks.push(info.name);
  }
  for (const info of found.volumes) {
    try {
      await dockerCall(ctx.logger, `removing volume ${info.name}`, { pipeline: pipelineId }, () =>
        ctx.orchestrator.docker.getVolume(info.name).remove(),
      );
      removed.volumes.push(info.name);
    } catch (error) {
      if (!String(error).includes('no such volume')) throw error;
    }
  }
  ctx.logger.info('pipeline stopped', {
    pipeline: pipelineId,
    containers: removed.containers.length,
    networks: removed.networks.length,
    volumes: removed.volumes.length,
  });
  return removed;
}
