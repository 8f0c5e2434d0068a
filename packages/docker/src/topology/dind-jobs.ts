import { buildkitdToml, DIND_NETWORK_SETTINGS, dindDaemonJson } from '../dind.js';
import { dockerCall } from '../docker-call.js';
import { isNotFound } from '../errors.js';
import { LABEL_MANAGED, LABEL_ROLE } from '../labels.js';
import type { StartedContainer, StartedNetwork } from '../orchestrator.js';
import { MOCK_ALIAS, sleep, type TopologyContext } from './context.js';

export interface DindConfigOptions {
  readonly registry?: boolean;
  /** Plain-HTTP registries besides the mock that jobs push to (an external `[registry] url`). */
  readonly plainHttpRegistries?: readonly string[];
}

/** The per-DinD-job network with the (running) mock attached as `glci-mock`. */
export async function createDindJobNetwork(
  ctx: TopologyContext,
  mock: StartedContainer,
  pipelineId: string,
  jobId: string,
): Promise<StartedNetwork> {
  const network = await ctx.orchestrator.createNetwork({
    name: ctx.names.jobNetwork(pipelineId, jobId),
    labels: ctx.labels('job-network', { pipeline: pipelineId, job: jobId }),
  });
  await network.connect(mock.id, { aliases: [MOCK_ALIAS] });
  return network;
}

/**
 * Removes a DinD job's network and the containers on it (never the mock). The runner removes
 * the job's containers itself a moment after the job ends; what is still attached after
 * `graceMs` (a runner killed mid-job) is removed here, since nothing else uses this network.
 */
export async function removeDindJob(
  ctx: TopologyContext,
  pipelineId: string,
  jobId: string,
  options: { graceMs?: number } = {},
): Promise<void> {
  const found = await ctx.orchestrator.find({ instance: ctx.instance, pipeline: pipelineId, job: jobId });
  for (const container of found.containers) {
    if (container.labels[LABEL_ROLE] === 'mock') continue;
    await (await ctx.orchestrator.getContainer(container.id))?.stop({ timeoutMs: 1000, remove: true });
  }
  for (const info of found.networks) {
    const network = await ctx.orchestrator.getNetwork(info.name);
    if (!network) continue;
    await drainNetwork(ctx, network, options.graceMs ?? 30_000);
    await network.remove();
  }
  for (const info of found.volumes) {
    await dockerCall(ctx.logger, `removing volume ${info.name}`, { pipeline: pipelineId, job: jobId }, () =>
      ctx.orchestrator.docker.getVolume(info.name).remove(),
    ).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }
}

/** Waits for the containers glci did not make to leave `network`, then removes the stragglers. */
async function drainNetwork(ctx: TopologyContext, network: StartedNetwork, graceMs: number): Promise<void> {
  const docker = ctx.orchestrator.docker;
  const deadline = Date.now() + graceMs;
  for (;;) {
    const attached = await dockerCall(ctx.logger, `listing the containers on ${network.name}`, {}, () =>
      docker.listContainers({ all: true, filters: { network: [network.name] } }),
    );
    const strangers = attached.filter((container) => container.Labels?.[LABEL_MANAGED] !== 'true');
    if (strangers.length === 0) return;
    if (Date.now() >= deadline) {
      for (const container of strangers) {
        ctx.logger.info('removing a container left on a DinD job network', { container: container.Id });
        await dockerCall(ctx.logger, `removing container ${container.Id.slice(0, 12)}`, {}, () =>
          docker.getContainer(container.Id).remove({ force: true, v: true }),
        ).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
      }
      return;
    }
    await sleep(250);
  }
}

/**
 * A volume holding the DinD `daemon.json` and `buildkitd.toml`, filled through a container that
 * is created (never started) from `helperImage`, for a pipeline or for one DinD job. A job's
 * volume is mounted read-write at `/etc/docker` of its `docker:dind` service: dockerd writes its
 * `key.json` there and refuses to start on a read-only mount. With `registry: false` (a run
 * without the embedded registry) the daemon gets its network settings only, no mirror.
 */
export async function writeDindConfig(
  ctx: TopologyContext,
  pipelineId: string,
  helperImage: string,
  jobId: string | undefined,
  options: DindConfigOptions,
): Promise<{ volume: string; files: string[] }> {
  const volume = ctx.names.dindConfigVolume(pipelineId, jobId);
  await ctx.orchestrator.ensureVolume({
    name: volume,
    labels: ctx.labels('dind-config', {
      pipeline: pipelineId,
      ...(jobId !== undefined ? { job: jobId } : {}),
    }),
  });
  const mockHost = `${MOCK_ALIAS}:${ctx.network.mockServer.port}`;
  // Jobs push to `CI_REGISTRY` (the mock under the container host's name): trusted too.
  const aliases = [ctx.network.registry.ciRegistry];
  const docker = ctx.orchestrator.docker;
  const helper = await dockerCall(
    ctx.logger,
    `creating a helper container to fill volume ${volume}`,
    {},
    () =>
      docker.createContainer({
        Image: helperImage,
        Cmd: ['true'],
        Labels: ctx.labels('helper', { pipeline: pipelineId }),
        HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/glci-dind' }] },
      }),
  );
  try {
    const started = await ctx.orchestrator.getContainer(helper.id);
    const registry = options.registry ?? true;
    const plainHttp = options.plainHttpRegistries ?? [];
    await started?.copyFiles([
      {
        path: '/glci-dind/daemon.json',
        content: registry
          ? dindDaemonJson(mockHost, DIND_NETWORK_SETTINGS, aliases, plainHttp)
          : `${JSON.stringify(DIND_NETWORK_SETTINGS, null, 2)}\n`,
      },
      {
        path: '/glci-dind/buildkitd.toml',
        content: registry ? buildkitdToml(mockHost, aliases, plainHttp) : '',
      },
    ]);
  } finally {
    await dockerCall(ctx.logger, 'removing the helper container', {}, () => helper.remove({ force: true }));
  }
  return { volume, files: ['daemon.json', 'buildkitd.toml'] };
}
