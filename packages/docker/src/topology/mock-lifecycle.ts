import { createHash } from 'node:crypto';
import type { ContainerSpec } from '../container-spec.js';
import { dockerCall } from '../docker-call.js';
import { isConflict, isNotFound } from '../errors.js';
import { LABEL_ROLE } from '../labels.js';
import { MOCK_READY_LINE, type MockOptions, mockContainerSpec } from '../mock-container.js';
import type { StartedContainer } from '../orchestrator.js';
import { waitForHealthy } from '../wait/health.js';
import { waitForLogLine } from '../wait/log-line.js';
import { MOCK_ALIAS, sleep, type TopologyContext } from './context.js';

/** The mock container's settings (`mockSettingsHash`): a container made from others is replaced. */
const LABEL_MOCK_SETTINGS = 'dev.glci.mock-settings';

/** A short hash of what a mock container is made from: image, environment, command, ports, mounts. */
export function mockSettingsHash(spec: ContainerSpec): string {
  const relevant = {
    image: spec.image,
    env: spec.env,
    cmd: spec.cmd,
    ports: spec.ports,
    mounts: spec.mounts,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

/** Creates the persistent volumes (and the mock's data volume) if they are missing. */
export async function ensurePersistentVolumes(ctx: TopologyContext): Promise<void> {
  const n = ctx.names;
  await ctx.orchestrator.ensureVolume({
    name: n.registryVolume,
    labels: ctx.labels('registry', { persistent: true }),
  });
  await ctx.orchestrator.ensureVolume({
    name: n.registryCaVolume,
    labels: ctx.labels('registry-ca', { persistent: true }),
  });
  await ctx.orchestrator.ensureVolume({
    name: n.cacheVolume,
    labels: ctx.labels('cache', { persistent: true }),
  });
  // The mock's state, artifacts and git repositories: kept while the mock lives and across its
  // restarts, but not precious (pipeline history keeps what matters), so a prune may take it.
  await ctx.orchestrator.ensureVolume({ name: n.mockDataVolume, labels: ctx.labels('mock-data') });
}

/**
 * Returns the running, ready mock: started again when it stopped with the daemon, replaced when
 * it was made from other settings or died, created (with the persistent volumes) when missing.
 * A mock another process created meanwhile is adopted.
 */
export async function ensureMockContainer(
  ctx: TopologyContext,
  mock: MockOptions,
  options: { signal?: AbortSignal },
): Promise<StartedContainer> {
  const n = ctx.names;
  const name = n.mock;
  const health = { timeoutMs: mock.healthTimeoutMs ?? 60_000, ...signalOf(options) };
  const base = mockContainerSpec({
    mock,
    name,
    port: ctx.network.mockServer.port,
    labels: ctx.labels('mock'),
    volumes: {
      registry: n.registryVolume,
      registryCa: n.registryCaVolume,
      cache: n.cacheVolume,
      data: n.mockDataVolume,
    },
    gatewayIp: await ctx.orchestrator.bridgeGateway(),
  });
  // What the container is made from; a mock made from other settings (image, environment,
  // port) is replaced, so a changed configuration (or a rebuilt glci-mock image) takes effect.
  await ctx.orchestrator.pull(mock.image, { policy: mock.pullPolicy ?? 'if-not-present' });
  const imageId = (await ctx.orchestrator.docker.getImage(mock.image).inspect()).Id;
  const settings = mockSettingsHash({ ...base, image: `${base.image}@${imageId}` });
  const spec: ContainerSpec = { ...base, labels: { ...base.labels, [LABEL_MOCK_SETTINGS]: settings } };
  const existing = await ctx.orchestrator.getContainer(name);
  if (existing) {
    const state = await existing.state();
    const current = existing.labels[LABEL_MOCK_SETTINGS];
    if (current === settings && (state.running || state.status === 'exited')) {
      // Stopped with the daemon (an idle stop): starting it again is quicker than a new one,
      // and its state is in its volumes anyway.
      if (!state.running) {
        ctx.logger.info('starting the stopped mock container', { container: name });
        await existing.start();
      }
      await mockReady(mock, existing, health);
      if (!state.running) await reattachMock(ctx, existing);
      return existing;
    }
    ctx.logger.info('replacing the mock container', {
      container: name,
      status: state.status,
      reason: state.running ? 'its settings changed' : 'it stopped',
    });
    await existing.stop({ timeoutMs: 5_000, remove: true });
  }
  await ensurePersistentVolumes(ctx);
  ctx.logger.info('starting the mock container', { container: name, image: mock.image });
  let started: StartedContainer;
  try {
    started = await ctx.orchestrator.run(spec);
  } catch (error) {
    // Another process created it between our look and our create: use theirs.
    const theirs = isConflict(error) ? await adoptRacingContainer(ctx, name) : undefined;
    if (!theirs) throw error;
    started = theirs;
  }
  await mockReady(mock, started, health);
  await reattachMock(ctx, started);
  return started;
}

/**
 * Empties the embedded registry: the mock stops and is removed, and the registry and registry-CA
 * volumes go. Returns the volumes removed.
 */
export async function removeMockAndRegistryVolumes(ctx: TopologyContext): Promise<string[]> {
  const mock = await ctx.orchestrator.getContainer(ctx.names.mock);
  await mock?.stop({ timeoutMs: 10_000, remove: true });
  const removed: string[] = [];
  for (const name of [ctx.names.registryVolume, ctx.names.registryCaVolume]) {
    try {
      await dockerCall(ctx.logger, `removing volume ${name}`, {}, () =>
        ctx.orchestrator.docker.getVolume(name).remove(),
      );
      removed.push(name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return removed;
}

/** Serving: its ready line since its latest start, or its health check where a test gave one. */
function mockReady(
  mock: MockOptions,
  container: StartedContainer,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  return mock.healthcheck !== undefined
    ? waitForHealthy(container, options)
    : waitForLogLine(container, MOCK_READY_LINE, options);
}

/** The daemon reserves a name before the container can be inspected: look a few times. */
async function adoptRacingContainer(
  ctx: TopologyContext,
  name: string,
): Promise<StartedContainer | undefined> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const container = await ctx.orchestrator.getContainer(name);
    if (container) return container;
    await sleep(50);
  }
  return undefined;
}

/** A recreated mock rejoins the pipeline and DinD job networks that outlived its predecessor. */
async function reattachMock(ctx: TopologyContext, mock: StartedContainer): Promise<void> {
  const found = await ctx.orchestrator.find({ instance: ctx.instance });
  for (const info of found.networks) {
    const role = info.labels[LABEL_ROLE];
    if (role !== 'pipeline-network' && role !== 'job-network') continue;
    const network = await ctx.orchestrator.getNetwork(info.name);
    await network?.connect(mock.id, { aliases: [MOCK_ALIAS] });
    ctx.logger.info('reattached the mock', { network: info.name });
  }
}

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
