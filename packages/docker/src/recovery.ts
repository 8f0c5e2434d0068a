import type { Logger } from '@glci/config';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { type GlciFilter, LABEL_PIPELINE, LABEL_ROLE } from './labels.js';
import type { ContainerInfo } from './orchestrator.js';
import type { GlciTopology } from './topology.js';

export interface SurvivingPipeline {
  readonly pipelineId: string;
  readonly mockAlive: boolean;
  readonly network: string | undefined;
  readonly runners: readonly { readonly name: string; readonly running: boolean }[];
  readonly containers: readonly string[];
  /** Why the pipeline cannot resume; undefined for resumable ones. */
  readonly reason?: string;
}

export interface RecoveryReport {
  /** Mock and at least one runner alive, runners on the pipeline network: re-attach and go on. */
  readonly resumable: readonly SurvivingPipeline[];
  /** Mock or all runners gone: the caller marks these failed. Their objects have been removed. */
  readonly dead: readonly SurvivingPipeline[];
  /** Removed leftovers: dead pipelines' objects and stopped glci containers of no pipeline. */
  readonly removed: {
    readonly containers: readonly string[];
    readonly networks: readonly string[];
    readonly volumes: readonly string[];
  };
}

/**
 * Run on start: finds the pipelines whose objects survived the previous orchestrating process
 * (by label, across sessions), says which can resume, removes what belongs to the dead ones and
 * stopped containers that belong to no pipeline (a stopped mock is removed too; `ensureMock`
 * recreates it).
 */
export async function recoverPipelines(
  orchestrator: DockerOrchestrator,
  topology: GlciTopology,
  logger: Logger,
  options: { removeDead?: boolean } = {},
): Promise<RecoveryReport> {
  const log = logger.child({ module: 'recovery', instance: topology.instance });
  const filter: GlciFilter = { instance: topology.instance };
  const found = await orchestrator.find(filter);
  const mock = found.containers.find(
    (c) => c.labels[LABEL_ROLE] === 'mock' && c.name === topology.names.mock,
  );
  const mockAlive = mock?.state === 'running';

  const pipelineIds = new Set<string>();
  for (const object of [...found.containers, ...found.networks, ...found.volumes]) {
    const id = object.labels[LABEL_PIPELINE];
    if (id !== undefined) pipelineIds.add(id);
  }

  const resumable: SurvivingPipeline[] = [];
  const dead: SurvivingPipeline[] = [];
  for (const pipelineId of [...pipelineIds].sort()) {
    const networkName = topology.names.pipelineNetwork(pipelineId);
    const network = found.networks.find((n) => n.name === networkName);
    const containers = found.containers.filter((c) => c.labels[LABEL_PIPELINE] === pipelineId);
    const runners = containers
      .filter((c) => c.labels[LABEL_ROLE] === 'runner')
      .map((c: ContainerInfo) => ({ name: c.name, running: c.state === 'running', networks: c.networks }));
    const liveRunners = runners.filter((r) => r.running && r.networks.includes(networkName));
    const mockAttached = mock?.networks.includes(networkName) ?? false;
    let reason: string | undefined;
    if (!mockAlive) reason = 'the mock container is not running';
    else if (!network) reason = `network ${networkName} is gone`;
    else if (!mockAttached) reason = `the mock is not attached to ${networkName}`;
    else if (liveRunners.length === 0) reason = 'no runner container is running';
    const entry: SurvivingPipeline = {
      pipelineId,
      mockAlive,
      network: network?.name,
      runners: runners.map(({ name, running }) => ({ name, running })),
      containers: containers.map((c) => c.name),
      ...(reason ? { reason } : {}),
    };
    (reason ? dead : resumable).push(entry);
  }

  const removed = { containers: [] as string[], networks: [] as string[], volumes: [] as string[] };
  if (options.removeDead !== false) {
    for (const pipeline of dead) {
      const result = await topology.stopPipeline(pipeline.pipelineId);
      removed.containers.push(...result.containers);
      removed.networks.push(...result.networks);
      removed.volumes.push(...result.volumes);
    }
    for (const container of found.containers) {
      const orphan =
        container.state !== 'running' &&
        (container.labels[LABEL_PIPELINE] === undefined || container.labels[LABEL_ROLE] === 'mock');
      if (!orphan) continue;
      await (await orchestrator.getContainer(container.id))?.stop({ timeoutMs: 0, remove: true });
      removed.containers.push(container.name);
    }
  }
  log.info('recovered pipelines', {
    resumable: resumable.map((p) => p.pipelineId),
    dead: dead.map((p) => p.pipelineId),
    removedContainers: removed.containers.length,
    removedNetworks: removed.networks.length,
  });
  return { resumable, dead, removed };
}
