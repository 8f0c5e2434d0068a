import { createHash } from 'node:crypto';
import type { Logger, ResolvedNetwork } from '@glci/config';
import { prepareBuildsVolume } from './builds-volume.js';
import type { ContainerSpec } from './container-spec.js';
import { buildkitdToml, DIND_NETWORK_SETTINGS, dindDaemonJson } from './dind.js';
import { dockerCall } from './docker-call.js';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { isConflict, isNotFound } from './errors.js';
import { type DaemonFacts, jobExtraHosts } from './job-wiring.js';
import {
  DEFAULT_INSTANCE,
  type GlciRole,
  glciLabels,
  LABEL_MANAGED,
  LABEL_ROLE,
  LABEL_RUNNER_NAME,
  LABEL_RUNNER_TIER,
} from './labels.js';
import { MOCK_READY_LINE, type MockOptions, mockContainerSpec } from './mock-container.js';
import type { PullPolicy, StartedContainer, StartedNetwork } from './orchestrator.js';
import { type RunnerNameParts, runnerName } from './runner-names.js';
import { waitForHealthy } from './wait/health.js';
import { waitForLogLine } from './wait/log-line.js';

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

/** The alias the mock has on every glci network; runners and DinD daemons reach it by this name. */
export const MOCK_ALIAS = 'glci-mock';
/** Where runner containers find their `config.toml`. */
export const RUNNER_CONFIG_DIR = '/etc/gitlab-runner';

export interface TopologyOptions {
  readonly orchestrator: DockerOrchestrator;
  /** `@glci/config`'s `resolveNetwork(config)`: port, container host, extra hosts, container socket. */
  readonly network: ResolvedNetwork;
  /** `[docker] privileged`: runner containers run privileged (needed by DinD). */
  readonly privileged: boolean;
  readonly logger: Logger;
  readonly mock: MockOptions;
  /** The orchestrating process; a new one on every daemon start. */
  readonly session: string;
  /** Separates glci installations (and tests) on one daemon; `default` for the real one. */
  readonly instance?: string;
  /** Prefix of every object name: `glci` for the default instance. */
  readonly namePrefix?: string;
}

export interface RunnerSpec extends RunnerNameParts {
  /**
   * The pipeline whose network the runner joins. Without one the runner belongs to the daemon
   * (shared by every pipeline, on the default bridge) and reaches the mock through `extraHosts`.
   */
  readonly pipelineId?: string;
  readonly image: string;
  readonly cmd?: readonly string[];
  /** The `config.toml` content, rendered by the caller. */
  readonly configToml: string;
  readonly pullPolicy?: PullPolicy;
  /** `/etc/hosts` entries of the runner container (`name:ip` or `name:host-gateway`). */
  readonly extraHosts?: readonly string[];
}

export interface PipelineNetworks {
  readonly pipelineId: string;
  readonly network: StartedNetwork;
  readonly mock: StartedContainer;
}

/**
 * Builds and maintains glci's Docker topology:
 *
 *   volumes   glci-registry, glci-registry-ca, glci-cache            persistent, kept by a plain prune
 *   mock      glci-mock            127.0.0.1:<port> → <port>, health-checked, shared by all pipelines
 *   networks  glci-net-<pipeline>                 mock (alias glci-mock) + runner containers
 *             glci-net-<pipeline>-job-<job>       DinD job + docker:dind + mock (attached)
 *   runners   glci-runner-<suffix>[-<project>[-<name>]]   config volume at /etc/gitlab-runner,
 *             the Docker socket mounted, privileged per config; config changes → SIGHUP
 */
export class GlciTopology {
  readonly instance: string;
  readonly session: string;
  readonly prefix: string;
  readonly #orchestrator: DockerOrchestrator;
  readonly #network: ResolvedNetwork;
  readonly #options: TopologyOptions;
  readonly #logger: Logger;
  #daemonFacts: DaemonFacts | undefined;
  #mockInflight: Promise<StartedContainer> | undefined;

  constructor(options: TopologyOptions) {
    this.#options = options;
    this.#orchestrator = options.orchestrator;
    this.#network = options.network;
    this.instance = options.instance ?? DEFAULT_INSTANCE;
    this.session = options.session;
    this.prefix = options.namePrefix ?? 'glci';
    this.#logger = options.logger.child({ module: 'topology', instance: this.instance });
  }

  get names() {
    const p = this.prefix;
    return {
      mock: `${p}-mock`,
      registryVolume: `${p}-registry`,
      registryCaVolume: `${p}-registry-ca`,
      cacheVolume: `${p}-cache`,
      mockDataVolume: `${p}-mock-data`,
      buildsVolume: `${p}-builds`,
      pipelineNetwork: (pipelineId: string) => `${p}-net-${pipelineId}`,
      jobNetwork: (pipelineId: string, jobId: string) => `${p}-net-${pipelineId}-job-${jobId}`,
      dindConfigVolume: (pipelineId: string, jobId?: string) =>
        jobId === undefined ? `${p}-dind-${pipelineId}` : `${p}-dind-${pipelineId}-job-${jobId}`,
      runner: (spec: RunnerNameParts) => runnerName(p, spec),
    };
  }

  labels(
    role: GlciRole,
    extra: { pipeline?: string; project?: string; job?: string; persistent?: boolean } = {},
  ) {
    return glciLabels({ instance: this.instance, session: this.session, role, ...extra });
  }

  /** Creates the persistent volumes if they are missing. */
  async ensurePersistentVolumes(): Promise<void> {
    const n = this.names;
    await this.#orchestrator.ensureVolume({
      name: n.registryVolume,
      labels: this.labels('registry', { persistent: true }),
    });
    await this.#orchestrator.ensureVolume({
      name: n.registryCaVolume,
      labels: this.labels('registry-ca', { persistent: true }),
    });
    await this.#orchestrator.ensureVolume({
      name: n.cacheVolume,
      labels: this.labels('cache', { persistent: true }),
    });
    // The mock's state, artifacts and git repositories: kept while the mock lives and across its
    // restarts, but not precious (pipeline history keeps what matters), so a prune may take it.
    await this.#orchestrator.ensureVolume({ name: n.mockDataVolume, labels: this.labels('mock-data') });
  }

  /**
   * Returns the running, healthy mock, creating it (and the persistent volumes) when it is
   * missing, or replacing it when it has stopped. Concurrent callers share one attempt; a mock
   * another process created meanwhile is adopted.
   */
  ensureMock(options: { signal?: AbortSignal } = {}): Promise<StartedContainer> {
    this.#mockInflight ??= this.#ensureMock(options).finally(() => {
      this.#mockInflight = undefined;
    });
    return this.#mockInflight;
  }

  async #ensureMock(options: { signal?: AbortSignal }): Promise<StartedContainer> {
    const name = this.names.mock;
    const health = { timeoutMs: this.#options.mock.healthTimeoutMs ?? 60_000, ...signalOf(options) };
    const mock = this.#options.mock;
    const n = this.names;
    const base = mockContainerSpec({
      mock,
      name,
      port: this.#network.mockServer.port,
      labels: this.labels('mock'),
      volumes: {
        registry: n.registryVolume,
        registryCa: n.registryCaVolume,
        cache: n.cacheVolume,
        data: n.mockDataVolume,
      },
      gatewayIp: await this.#orchestrator.bridgeGateway(),
    });
    // What the container is made from; a mock made from other settings (image, environment,
    // port) is replaced, so a changed configuration (or a rebuilt glci-mock image) takes effect.
    await this.#orchestrator.pull(mock.image, { policy: mock.pullPolicy ?? 'if-not-present' });
    const imageId = (await this.#orchestrator.docker.getImage(mock.image).inspect()).Id;
    const settings = mockSettingsHash({ ...base, image: `${base.image}@${imageId}` });
    const spec: ContainerSpec = { ...base, labels: { ...base.labels, [LABEL_MOCK_SETTINGS]: settings } };
    const existing = await this.#orchestrator.getContainer(name);
    if (existing) {
      const state = await existing.state();
      const current = existing.labels[LABEL_MOCK_SETTINGS];
      if (current === settings && (state.running || state.status === 'exited')) {
        // Stopped with the daemon (an idle stop): starting it again is quicker than a new one,
        // and its state is in its volumes anyway.
        if (!state.running) {
          this.#logger.info('starting the stopped mock container', { container: name });
          await existing.start();
        }
        await this.#mockReady(existing, health);
        if (!state.running) await this.#reattachMock(existing);
        return existing;
      }
      this.#logger.info('replacing the mock container', {
        container: name,
        status: state.status,
        reason: state.running ? 'its settings changed' : 'it stopped',
      });
      await existing.stop({ timeoutMs: 5_000, remove: true });
    }
    await this.ensurePersistentVolumes();
    this.#logger.info('starting the mock container', { container: name, image: mock.image });
    let started: StartedContainer;
    try {
      started = await this.#orchestrator.run(spec);
    } catch (error) {
      // Another process created it between our look and our create: use theirs.
      const theirs = isConflict(error) ? await this.#adoptRacingContainer(name) : undefined;
      if (!theirs) throw error;
      started = theirs;
    }
    await this.#mockReady(started, health);
    await this.#reattachMock(started);
    return started;
  }

  /** Serving: its ready line since its latest start, or its health check where a test gave one. */
  #mockReady(mock: StartedContainer, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    return this.#options.mock.healthcheck !== undefined
      ? waitForHealthy(mock, options)
      : waitForLogLine(mock, MOCK_READY_LINE, options);
  }

  /**
   * Stops the daemon's long-lived containers, the mock and the shared runner (`suffix`), without
   * removing them: nothing of glci keeps running once its daemon is gone, and the next
   * `ensureMock`/`ensureRunner` starts them again with their volumes as they were. Pipelines and
   * DinD jobs must be over. Returns the containers stopped.
   */
  async stopLongLived(runners: readonly RunnerNameParts[]): Promise<string[]> {
    await this.#mockInflight?.catch(() => undefined);
    const stopped: string[] = [];
    // The runners first: a runner whose mock went away first logs errors while it stops.
    for (const name of [...runners.map((spec) => this.names.runner(spec)), this.names.mock]) {
      const container = await this.#orchestrator.getContainer(name);
      if (!container || !(await container.state()).running) continue;
      await container.stop({ timeoutMs: 10_000, remove: false });
      stopped.push(name);
    }
    this.#logger.info('stopped the long-lived containers', { containers: stopped });
    return stopped;
  }

  /**
   * Empties the embedded registry (`glci registry clean`): the mock stops and is removed (the next
   * `ensureMock` makes it anew) and the registry and registry-CA volumes go with everything pushed
   * and cached. The caller makes sure no pipeline runs. Returns the volumes removed.
   */
  async removeRegistryData(): Promise<string[]> {
    await this.#mockInflight?.catch(() => undefined);
    const mock = await this.#orchestrator.getContainer(this.names.mock);
    await mock?.stop({ timeoutMs: 10_000, remove: true });
    const removed: string[] = [];
    for (const name of [this.names.registryVolume, this.names.registryCaVolume]) {
      try {
        await dockerCall(this.#logger, `removing volume ${name}`, {}, () =>
          this.#orchestrator.docker.getVolume(name).remove(),
        );
        removed.push(name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return removed;
  }

  /** The daemon reserves a name before the container can be inspected: look a few times. */
  async #adoptRacingContainer(name: string): Promise<StartedContainer | undefined> {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const container = await this.#orchestrator.getContainer(name);
      if (container) return container;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return undefined;
  }

  /** A recreated mock rejoins the pipeline and DinD job networks that outlived its predecessor. */
  async #reattachMock(mock: StartedContainer): Promise<void> {
    const found = await this.#orchestrator.find({ instance: this.instance });
    for (const info of found.networks) {
      const role = info.labels[LABEL_ROLE];
      if (role !== 'pipeline-network' && role !== 'job-network') continue;
      const network = await this.#orchestrator.getNetwork(info.name);
      await network?.connect(mock.id, { aliases: [MOCK_ALIAS] });
      this.#logger.info('reattached the mock', { network: info.name });
    }
  }

  /** The pipeline network with the mock attached as `glci-mock` (both created on demand). */
  async startPipeline(pipelineId: string, options: { signal?: AbortSignal } = {}): Promise<PipelineNetworks> {
    const mock = await this.ensureMock(options);
    const network = await this.#orchestrator.createNetwork({
      name: this.names.pipelineNetwork(pipelineId),
      labels: this.labels('pipeline-network', { pipeline: pipelineId }),
    });
    await network.connect(mock.id, { aliases: [MOCK_ALIAS] });
    this.#logger.info('pipeline network ready', { pipeline: pipelineId, network: network.name });
    return { pipelineId, network, mock };
  }

  /**
   * Starts a runner container on the pipeline network, or, when one of that name runs already,
   * applies a changed `config.toml` to it with SIGHUP instead of restarting it.
   */
  async ensureRunner(spec: RunnerSpec): Promise<StartedContainer> {
    const name = this.names.runner(spec);
    const existing = await this.#orchestrator.getContainer(name);
    const state = await existing?.state();
    if (existing && state?.running) {
      await this.updateRunnerConfig(existing, spec.configToml);
      return existing;
    }
    if (existing && state?.status === 'exited' && (await this.#sameImage(existing, spec.image))) {
      // Stopped with the daemon: the config is in its volume; write the current one, then start.
      await existing.copyFiles([
        { path: `${RUNNER_CONFIG_DIR}/config.toml`, content: spec.configToml, mode: 0o600 },
      ]);
      await existing.start();
      this.#logger.info('runner started again', { runner: name });
      return existing;
    }
    if (existing) await existing.stop({ timeoutMs: 0, remove: true });
    const configVolume = `${name}-config`;
    const runnerLabels = {
      ...(spec.pipelineId !== undefined ? { pipeline: spec.pipelineId } : {}),
      ...(spec.project !== undefined ? { project: spec.project } : {}),
    };
    await this.#orchestrator.ensureVolume({
      name: configVolume,
      labels: this.labels('runner-config', runnerLabels),
    });
    await this.#orchestrator.pull(spec.image, { policy: spec.pullPolicy ?? 'if-not-present' });
    const socket = this.#network.docker.containerSocket;
    const container = await this.#orchestrator.run({
      image: spec.image,
      name,
      labels: {
        ...this.labels('runner', runnerLabels),
        [LABEL_RUNNER_TIER]: spec.tier,
        ...(spec.name !== undefined ? { [LABEL_RUNNER_NAME]: spec.name } : {}),
      },
      ...(spec.cmd ? { cmd: spec.cmd } : {}),
      ...(spec.pipelineId !== undefined
        ? { networks: [{ name: this.names.pipelineNetwork(spec.pipelineId) }] }
        : {}),
      ...(spec.extraHosts?.length ? { extraHosts: spec.extraHosts } : {}),
      mounts: [
        { type: 'volume', source: configVolume, target: RUNNER_CONFIG_DIR },
        { type: 'bind', source: socket, target: '/var/run/docker.sock' },
      ],
      privileged: this.#options.privileged,
      files: [{ path: `${RUNNER_CONFIG_DIR}/config.toml`, content: spec.configToml, mode: 0o600 }],
    });
    this.#logger.info('runner started', {
      runner: name,
      tier: spec.tier,
      pipeline: spec.pipelineId ?? 'shared',
    });
    return container;
  }

  /** Whether a container runs the image `image` names now (not an older build under the same tag). */
  async #sameImage(container: StartedContainer, image: string): Promise<boolean> {
    const docker = this.#orchestrator.docker;
    try {
      const [info, wanted] = await Promise.all([
        docker.getContainer(container.id).inspect(),
        docker.getImage(image).inspect(),
      ]);
      return info.Image === wanted.Id;
    } catch {
      return false;
    }
  }

  /**
   * The volume jobs check out into, bound at `/builds` by the runner entries (see
   * `prepareBuildsVolume`); `initImage` is the runner image.
   */
  ensureBuildsVolume(initImage: string, options: { pullPolicy?: PullPolicy } = {}): Promise<string> {
    return prepareBuildsVolume({
      orchestrator: this.#orchestrator,
      logger: this.#logger,
      name: this.names.buildsVolume,
      labels: this.labels('builds'),
      initLabels: this.labels('helper'),
      initImage,
      ...(options.pullPolicy ? { pullPolicy: options.pullPolicy } : {}),
    });
  }

  /** Writes a new `config.toml` into the runner's config volume and sends SIGHUP if it changed. */
  async updateRunnerConfig(runner: StartedContainer, configToml: string): Promise<boolean> {
    const current = await runner.exec(['cat', `${RUNNER_CONFIG_DIR}/config.toml`]);
    if (current.exitCode === 0 && current.stdout === configToml) {
      this.#logger.debug('runner config unchanged', { runner: runner.name });
      return false;
    }
    await runner.copyFiles([{ path: `${RUNNER_CONFIG_DIR}/config.toml`, content: configToml, mode: 0o600 }]);
    await runner.kill('SIGHUP');
    this.#logger.info('runner config reloaded with SIGHUP', { runner: runner.name });
    return true;
  }

  /** The per-DinD-job network with the mock attached as `glci-mock`. */
  async startDindJob(pipelineId: string, jobId: string): Promise<StartedNetwork> {
    const mock = await this.ensureMock();
    const network = await this.#orchestrator.createNetwork({
      name: this.names.jobNetwork(pipelineId, jobId),
      labels: this.labels('job-network', { pipeline: pipelineId, job: jobId }),
    });
    await network.connect(mock.id, { aliases: [MOCK_ALIAS] });
    return network;
  }

  /**
   * Removes a DinD job's network and the containers on it (never the mock). The runner removes
   * the job's containers itself a moment after the job ends; what is still attached after
   * `graceMs` (a runner killed mid-job) is removed here, since nothing else uses this network.
   */
  async stopDindJob(pipelineId: string, jobId: string, options: { graceMs?: number } = {}): Promise<void> {
    const found = await this.#orchestrator.find({
      instance: this.instance,
      pipeline: pipelineId,
      job: jobId,
    });
    for (const container of found.containers) {
      if (container.labels[LABEL_ROLE] === 'mock') continue;
      await (await this.#orchestrator.getContainer(container.id))?.stop({ timeoutMs: 1000, remove: true });
    }
    for (const info of found.networks) {
      const network = await this.#orchestrator.getNetwork(info.name);
      if (!network) continue;
      await this.#drainNetwork(network, options.graceMs ?? 30_000);
      await network.remove();
    }
    for (const info of found.volumes) {
      await dockerCall(
        this.#logger,
        `removing volume ${info.name}`,
        { pipeline: pipelineId, job: jobId },
        () => this.#orchestrator.docker.getVolume(info.name).remove(),
      ).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }

  /** Waits for the containers glci did not make to leave `network`, then removes the stragglers. */
  async #drainNetwork(network: StartedNetwork, graceMs: number): Promise<void> {
    const docker = this.#orchestrator.docker;
    const deadline = Date.now() + graceMs;
    for (;;) {
      const attached = await dockerCall(this.#logger, `listing the containers on ${network.name}`, {}, () =>
        docker.listContainers({ all: true, filters: { network: [network.name] } }),
      );
      const strangers = attached.filter((container) => container.Labels?.[LABEL_MANAGED] !== 'true');
      if (strangers.length === 0) return;
      if (Date.now() >= deadline) {
        for (const container of strangers) {
          this.#logger.info('removing a container left on a DinD job network', { container: container.Id });
          await dockerCall(this.#logger, `removing container ${container.Id.slice(0, 12)}`, {}, () =>
            docker.getContainer(container.Id).remove({ force: true, v: true }),
          ).catch((error: unknown) => {
            if (!isNotFound(error)) throw error;
          });
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * A volume holding the DinD `daemon.json` and `buildkitd.toml`, filled through a container that
   * is created (never started) from `helperImage`, for a pipeline or for one DinD job. A job's
   * volume is mounted read-write at `/etc/docker` of its `docker:dind` service: dockerd writes its
   * `key.json` there and refuses to start on a read-only mount. With `registry: false` (a run
   * without the embedded registry) the daemon gets its network settings only, no mirror.
   */
  async writeDindConfig(
    pipelineId: string,
    helperImage: string,
    jobId?: string,
    options: {
      readonly registry?: boolean;
      /** Plain-HTTP registries besides the mock that jobs push to (an external `[registry] url`). */
      readonly plainHttpRegistries?: readonly string[];
    } = {},
  ): Promise<{ volume: string; files: string[] }> {
    const volume = this.names.dindConfigVolume(pipelineId, jobId);
    await this.#orchestrator.ensureVolume({
      name: volume,
      labels: this.labels('dind-config', {
        pipeline: pipelineId,
        ...(jobId !== undefined ? { job: jobId } : {}),
      }),
    });
    const mockHost = `${MOCK_ALIAS}:${this.#network.mockServer.port}`;
    // Jobs push to `CI_REGISTRY` (the mock under the container host's name): trusted too.
    const aliases = [this.#network.registry.ciRegistry];
    const docker = this.#orchestrator.docker;
    const helper = await dockerCall(
      this.#logger,
      `creating a helper container to fill volume ${volume}`,
      {},
      () =>
        docker.createContainer({
          Image: helperImage,
          Cmd: ['true'],
          Labels: this.labels('helper', { pipeline: pipelineId }),
          HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/glci-dind' }] },
        }),
    );
    try {
      const started = await this.#orchestrator.getContainer(helper.id);
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
      await dockerCall(this.#logger, 'removing the helper container', {}, () =>
        helper.remove({ force: true }),
      );
    }
    return { volume, files: ['daemon.json', 'buildkitd.toml'] };
  }

  /** The `extra_hosts` job containers need to reach the mock (see `jobExtraHosts`). */
  async jobExtraHosts(): Promise<string[]> {
    this.#daemonFacts ??= {
      serverVersion:
        this.#orchestrator.serverVersion ??
        (
          await dockerCall(this.#logger, 'reading the Docker daemon version', {}, () =>
            this.#orchestrator.docker.version(),
          )
        ).Version,
      bridgeGateway: await this.#orchestrator.bridgeGateway(),
      ...(this.#orchestrator.engine ? { engine: this.#orchestrator.engine } : {}),
    };
    return jobExtraHosts(this.#network, this.#daemonFacts);
  }

  /**
   * Removes a pipeline's containers, networks and runner config volumes, found by label; objects
   * already gone are fine. The shared mock is detached, not removed.
   */
  async stopPipeline(
    pipelineId: string,
  ): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
    const found = await this.#orchestrator.find({ instance: this.instance, pipeline: pipelineId });
    const removed = { containers: [] as string[], networks: [] as string[], volumes: [] as string[] };
    for (const info of found.containers) {
      if (info.labels[LABEL_ROLE] === 'mock') continue;
      const container = await this.#orchestrator.getContainer(info.id);
      await container?.stop({ timeoutMs: 2000, remove: true });
      removed.containers.push(info.name);
    }
    // DinD job networks before the pipeline network; both detach the mock first.
    const networks = [...found.networks].sort((a, b) => b.name.length - a.name.length);
    for (const info of networks) {
      await (await this.#orchestrator.getNetwork(info.name))?.remove();
      removed.networks.push(info.name);
    }
    for (const info of found.volumes) {
      try {
        await dockerCall(this.#logger, `removing volume ${info.name}`, { pipeline: pipelineId }, () =>
          this.#orchestrator.docker.getVolume(info.name).remove(),
        );
        removed.volumes.push(info.name);
      } catch (error) {
        if (!String(error).includes('no such volume')) throw error;
      }
    }
    this.#logger.info('pipeline stopped', { pipeline: pipelineId, ...counts(removed) });
    return removed;
  }
}

function counts(removed: { containers: string[]; networks: string[]; volumes: string[] }) {
  return {
    containers: removed.containers.length,
    networks: removed.networks.length,
    volumes: removed.volumes.length,
  };
}

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
