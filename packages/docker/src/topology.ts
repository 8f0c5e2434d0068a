import type { Logger, ResolvedNetwork } from '@glci/config';
import { prepareBuildsVolume } from './builds-volume.js';
import { dockerCall } from './docker-call.js';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { type DaemonFacts, jobExtraHosts } from './job-wiring.js';
import { DEFAULT_INSTANCE, type GlciRole, glciLabels } from './labels.js';
import type { MockOptions } from './mock-container.js';
import type { PullPolicy, StartedContainer, StartedNetwork } from './orchestrator.js';
import type { RunnerNameParts } from './runner-names.js';
import {
  type LabelExtras,
  type TopologyContext,
  type TopologyNames,
  topologyNames,
} from './topology/context.js';
import {
  createDindJobNetwork,
  type DindConfigOptions,
  removeDindJob,
  writeDindConfig,
} from './topology/dind-jobs.js';
import {
  ensureMockContainer,
  ensurePersistentVolumes,
  removeMockAndRegistryVolumes,
} from './topology/mock-lifecycle.js';
import {
  createPipelineNetwork,
  type PipelineNetworks,
  removePipelineObjects,
} from './topology/pipeline-objects.js';
import { ensureRunnerContainer, type RunnerSpec, updateRunnerConfig } from './topology/runner-containers.js';

export { MOCK_ALIAS, RUNNER_CONFIG_DIR } from './topology/context.js';
export { mockSettingsHash } from './topology/mock-lifecycle.js';
export type { PipelineNetworks } from './topology/pipeline-objects.js';
export type { RunnerSpec } from './topology/runner-containers.js';

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

/**
 * Builds and maintains glci's Docker topology:
 *
 *   volumes   glci-registry, glci-registry-ca, glci-cache            persistent, kept by a plain prune
 *   mock      glci-mock            127.0.0.1:<port> → <port>, health-checked, shared by all pipelines
 *   networks  glci-net-<pipeline>                 mock (alias glci-mock) + runner containers
 *             glci-net-<pipeline>-job-<job>       DinD job + docker:dind + mock (attached)
 *   runners   glci-runner-<suffix>[-<project>[-<name>]]   config volume at /etc/gitlab-runner,
 *             the Docker socket mounted, privileged per config; config changes → SIGHUP
 *
 * The parts live in `topology/`: the mock's lifecycle, runner containers, DinD jobs and pipeline
 * objects, each a module of functions over the `TopologyContext` this class holds.
 */
export class GlciTopology {
  readonly instance: string;
  readonly session: string;
  readonly prefix: string;
  readonly names: TopologyNames;
  readonly #orchestrator: DockerOrchestrator;
  readonly #network: ResolvedNetwork;
  readonly #options: TopologyOptions;
  readonly #logger: Logger;
  readonly #ctx: TopologyContext;
  #daemonFacts: DaemonFacts | undefined;
  #mockInflight: Promise<StartedContainer> | undefined;

  constructor(options: TopologyOptions) {
    this.#options = options;
    this.#orchestrator = options.orchestrator;
    this.#network = options.network;
    this.instance = options.instance ?? DEFAULT_INSTANCE;
    this.session = options.session;
    this.prefix = options.namePrefix ?? 'glci';
    this.names = topologyNames(this.prefix);
    this.#logger = options.logger.child({ module: 'topology', instance: this.instance });
    this.#ctx = {
      orchestrator: this.#orchestrator,
      network: this.#network,
      logger: this.#logger,
      instance: this.instance,
      names: this.names,
      labels: (role, extra) => this.labels(role, extra),
    };
  }

  labels(role: GlciRole, extra: LabelExtras = {}) {
    return glciLabels({ instance: this.instance, session: this.session, role, ...extra });
  }

  /** Creates the persistent volumes if they are missing. */
  ensurePersistentVolumes(): Promise<void> {
    return ensurePersistentVolumes(this.#ctx);
  }

  /**
   * Returns the running, healthy mock, creating it (and the persistent volumes) when it is
   * missing, or replacing it when it has stopped. Concurrent callers share one attempt; a mock
   * another process created meanwhile is adopted.
   */
  ensureMock(options: { signal?: AbortSignal } = {}): Promise<StartedContainer> {
    this.#mockInflight ??= ensureMockContainer(this.#ctx, this.#options.mock, options).finally(() => {
      this.#mockInflight = undefined;
    });
    return this.#mockInflight;
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
    return removeMockAndRegistryVolumes(this.#ctx);
  }

  /** The pipeline network with the mock attached as `glci-mock` (both created on demand). */
  async startPipeline(pipelineId: string, options: { signal?: AbortSignal } = {}): Promise<PipelineNetworks> {
    const mock = await this.ensureMock(options);
    return createPipelineNetwork(this.#ctx, mock, pipelineId);
  }

  /**
   * Starts a runner container on the pipeline network, or, when one of that name runs already,
   * applies a changed `config.toml` to it with SIGHUP instead of restarting it.
   */
  ensureRunner(spec: RunnerSpec): Promise<StartedContainer> {
    return ensureRunnerContainer(this.#ctx, spec, this.#options.privileged);
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
  updateRunnerConfig(runner: StartedContainer, configToml: string): Promise<boolean> {
    return updateRunnerConfig(this.#ctx, runner, configToml);
  }

  /** The per-DinD-job network with the mock attached as `glci-mock`. */
  async startDindJob(pipelineId: string, jobId: string): Promise<StartedNetwork> {
    const mock = await this.ensureMock();
    return createDindJobNetwork(this.#ctx, mock, pipelineId, jobId);
  }

  /**
   * Removes a DinD job's network and the containers on it (never the mock). The runner removes
   * the job's containers itself a moment after the job ends; what is still attached after
   * `graceMs` (a runner killed mid-job) is removed here, since nothing else uses this network.
   */
  stopDindJob(pipelineId: string, jobId: string, options: { graceMs?: number } = {}): Promise<void> {
    return removeDindJob(this.#ctx, pipelineId, jobId, options);
  }

  /**
   * A volume holding the DinD `daemon.json` and `buildkitd.toml` for a pipeline or for one DinD
   * job (see `topology/dind-jobs.ts`). With `registry: false` (a run without the embedded
   * registry) the daemon gets its network settings only, no mirror.
   */
  writeDindConfig(
    pipelineId: string,
    helperImage: string,
    jobId?: string,
    options: DindConfigOptions = {},
  ): Promise<{ volume: string; files: string[] }> {
    return writeDindConfig(this.#ctx, pipelineId, helperImage, jobId, options);
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
  stopPipeline(pipelineId: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
    return removePipelineObjects(this.#ctx, pipelineId);
  }
}
