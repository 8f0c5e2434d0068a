import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Agent } from 'node:http';
import path from 'node:path';
import { type GlciConfig, type Logger, type ResolvedNetwork, resolveNetwork } from '@glci/config';
import { DockerOrchestrator, GlciTopology, removeRunnerObjects, type StartedContainer } from '@glci/docker';
import { DindWiring } from './dind-wiring.js';
import { JobImages } from './job-images.js';
import { LiveOutput } from './live-output.js';
import { MockClient } from './mock-client.js';
import { mockConfigToml } from './mock-config.js';
import { MockEventHub } from './mock-event-hub.js';
import { namedFleetEntries, syncNamedRunners } from './named-runners.js';
import { ProjectRunners } from './project-runners.js';
import { PushThroughControl } from './push-through-control.js';
import {
  checkRunnerSocket,
  execTunnel,
  isOtherEngine,
  isRemoteEngine,
  sendLocalImages,
} from './remote-engine.js';
import { sharedRunners } from './runner-assignment.js';
import { RunnerFleet } from './runner-fleet.js';
import { RunnerSlots } from './runner-slots.js';
import { ResourceGroups } from './scheduler.js';

export interface InfrastructureOptions {
  readonly config: GlciConfig;
  /** `$GLCI_HOME`: where the mock's internal secret is kept. */
  readonly glciHome: string;
  readonly logger: Logger;
  /** Separates test installations on one Docker host; `default` otherwise. */
  readonly instance?: string;
  readonly namePrefix?: string;
  /** The session (daemon process) that creates objects. */
  readonly session: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * How to reach the mock's `/internal` API: the published port (default), or an agent that
   * tunnels through `docker exec` for a remote Docker host.
   */
  readonly mockAgent?: (mock: StartedContainer) => Agent | undefined;
}

/** What a running pipeline needs of the infrastructure. */
export interface ReadyInfrastructure {
  readonly network: ResolvedNetwork;
  readonly orchestrator: DockerOrchestrator;
  readonly topology: GlciTopology;
  readonly client: MockClient;
  readonly events: MockEventHub;
  readonly fleet: RunnerFleet;
  /** The projects' own runner containers (`[projects."group/proj".runners]`, a project file's `[runners]`). */
  readonly projectRunners: ProjectRunners;
  readonly dind: DindWiring;
  readonly images: JobImages;
  readonly resourceGroups: ResourceGroups;
  /** `[runner] concurrent`: jobs at once across every pipeline. */
  readonly slots: RunnerSlots;
  /** Jobs' output live from Docker. */
  readonly live: LiveOutput;
  readonly pushThrough: PushThroughControl;
  /**
   * Ends this infrastructure's connections to the engine (the mock's event stream, its tunnel, the
   * kept-alive API sockets) without touching a container: its engine was lost, and a new one is
   * made when the engine is back.
   */
  close(): void;
}

/**
 * glci's long-lived Docker objects, created on first use and shared by every pipeline: the
 * `glci-mock` container (registry, cache and data volumes; its port on 127.0.0.1 and the bridge
 * gateway), and the runner container (`glci-runner-<instance>`) with the shared runner entry.
 * `ensure` (re)creates whatever is missing, so a mock or runner removed by hand, or lost in a
 * Docker restart, comes back on the next pipeline.
 */
export class Infrastructure {
  readonly #options: InfrastructureOptions;
  readonly #logger: Logger;
  #ready: Promise<ReadyInfrastructure> | undefined;

  constructor(options: InfrastructureOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ module: 'infrastructure' });
  }

  ensure(): Promise<ReadyInfrastructure> {
    this.#ready ??= this.#create().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready.then(async (ready) => {
      // Still there? A mock or runner removed since is recreated.
      if (!(await ready.client.health()) || !(await ready.fleet.container?.state())?.running) {
        await ready.topology.ensureMock();
        await ready.pushThrough.apply(ready.client);
        const shared = sharedRunners(this.#options.config);
        await ready.fleet.start(namedFleetEntries(shared));
        await syncNamedRunners(ready.fleet, shared);
      }
      return ready;
    });
  }

  /**
   * Whether the mock and the runner containers a previous daemon used are still running, without
   * creating anything (crash recovery: only then can its running jobs be taken over).
   */
  async alive(): Promise<boolean> {
    const { config, logger } = this.#options;
    const network = resolveNetwork(config, this.#options.env);
    const orchestrator = await DockerOrchestrator.connect(network.docker, {
      logger,
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
    const topology = this.#topology(orchestrator, network, '');
    for (const name of [
      topology.names.mock,
      topology.names.runner({ suffix: topology.instance, tier: 'shared' }),
    ]) {
      const container = await orchestrator.getContainer(name);
      if (!container || !(await container.state()).running) return false;
    }
    return true;
  }

  /**
   * Stops the mock and the runner container (not removing them) when the daemon stops: nothing of
   * glci keeps running, or polling, once its daemon is gone. The next pipeline starts them again.
   * The caller makes sure no pipeline runs.
   */
  async stop(): Promise<string[]> {
    const ready = await this.#ready?.catch(() => undefined);
    ready?.events.close();
    const { config, logger } = this.#options;
    const network = resolveNetwork(config, this.#options.env);
    const orchestrator =
      ready?.orchestrator ??
      (await DockerOrchestrator.connect(network.docker, {
        logger,
        ...(this.#options.env ? { env: this.#options.env } : {}),
      }));
    const topology = ready?.topology ?? this.#topology(orchestrator, network, '');
    this.#ready = undefined;
    return topology.stopLongLived([
      { suffix: topology.instance, tier: 'shared' },
      ...(ready?.projectRunners.nameParts() ?? []),
    ]);
  }

  /**
   * Removes what a previous daemon's jobs left behind when its runner died with it: containers,
   * per-build networks and volumes the runner made for glci's runner entries, DinD job networks.
   */
  async removeLeftovers(): Promise<void> {
    const { config, logger } = this.#options;
    const network = resolveNetwork(config, this.#options.env);
    const orchestrator = await DockerOrchestrator.connect(network.docker, {
      logger,
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
    let runnerIds: string[] = [];
    try {
      const saved = JSON.parse(
        await readFile(this.#fleetStateFile(this.#topology(orchestrator, network, '')), 'utf8'),
      ) as {
        runnerIds?: string[];
      };
      runnerIds = saved.runnerIds ?? [];
    } catch {
      // No runner ever started here.
    }
    const removed = await removeRunnerObjects(orchestrator.docker, runnerIds);
    this.#logger.info('removed what stopped jobs left behind', { ...removed });
  }

  /**
   * Empties the embedded registry without starting anything: the mock container and the registry
   * volumes are removed (the next pipeline makes them anew). Returns the volumes removed.
   */
  async removeRegistryData(): Promise<string[]> {
    const { config, logger } = this.#options;
    const network = resolveNetwork(config, this.#options.env);
    const orchestrator = await DockerOrchestrator.connect(network.docker, {
      logger,
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
    return this.#topology(orchestrator, network, '').removeRegistryData();
  }

  #fleetStateFile(topology: GlciTopology): string {
    return path.join(this.#options.glciHome, `runner-fleet-${topology.instance}.json`);
  }

  #topology(orchestrator: DockerOrchestrator, network: ResolvedNetwork, secret: string): GlciTopology {
    const { config, logger } = this.#options;
    return new GlciTopology({
      orchestrator,
      network,
      privileged: config.docker.privileged,
      logger,
      session: this.#options.session,
      ...(this.#options.instance ? { instance: this.#options.instance } : {}),
      ...(this.#options.namePrefix ? { namePrefix: this.#options.namePrefix } : {}),
      mock: {
        image: config.mock.image,
        pullPolicy: 'if-not-present',
        env: {
          GLCI_MOCK_SECRET: secret,
          GLCI_MOCK_EXTERNAL_URL: network.mockServer.containerUrl,
          // Upstream credentials and cache bounds; the container cannot read the user's config.
          GLCI_MOCK_CONFIG_TOML: mockConfigToml(config),
        },
      },
    });
  }

  async #create(): Promise<ReadyInfrastructure> {
    const { config, logger } = this.#options;
    const network = resolveNetwork(config, this.#options.env);
    const orchestrator = await DockerOrchestrator.connect(network.docker, {
      logger,
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
    const secret = await mockSecret(this.#options.glciHome);
    const upstreams = config.registry.upstreams.map((upstream) => upstream.url);
    const topology = this.#topology(orchestrator, network, secret);
    // A remote engine (tcp://, ssh://) gets the images built here, and the daemon reaches the
    // mock through `docker exec`: its published port is on that host's loopback.
    const remote = isRemoteEngine(network);
    if (isOtherEngine(network)) await sendLocalImages({ orchestrator, network, config, logger });
    await checkRunnerSocket({ orchestrator, network, config });
    this.#logger.info('starting the mock', { image: config.mock.image, port: network.mockServer.port });
    // What needs no mock is made while it starts (a cold start pays for each): the jobs' extra
    // hosts (host-gateway, or the bridge gateway: Podman, dockerd < 20.10), and the builds volume (a `cache-init` container the first time),
    // which the runner's start below then finds made. The runner itself must wait for the mock:
    // three failed job requests would sideline its entries for an hour (`unhealthy_interval`).
    const [mock, extraHosts] = await Promise.all([
      topology.ensureMock(),
      topology.jobExtraHosts(),
      topology.ensureBuildsVolume(config.runner.image),
    ]);
    const agent =
      this.#options.mockAgent?.(mock) ?? (remote ? execTunnel(orchestrator, logger)(mock) : undefined);
    const client = new MockClient({
      baseUrl: network.mockServer.hostUrl,
      secret,
      ...(agent ? { agent } : {}),
    });
    const { upstream } = config.registry;
    const pushThrough = new PushThroughControl({
      upstream: {
        url: upstream.url,
        insecure: upstream.insecure,
        ...(upstream.username !== undefined ? { username: upstream.username } : {}),
        ...(upstream.password !== undefined ? { password: upstream.password } : {}),
      },
      alwaysOn: config.registry.push_through,
      logger,
    });
    await pushThrough.apply(client);
    const settings = {
      image: config.runner.image,
      ...(config.runner.helper_image ? { helperImage: config.runner.helper_image } : {}),
      mockUrl: network.mockServer.containerUrl,
      extraHosts,
      concurrent: config.runner.concurrent,
      privileged: config.docker.privileged,
      defaultImage: config.defaults.image ?? 'alpine:latest',
      pullPolicy: config.runner.pull_policy,
    };
    const fleet = new RunnerFleet({
      topology,
      client,
      logger,
      suffix: topology.instance,
      stateFile: this.#fleetStateFile(topology),
      settings,
    });
    this.#logger.info('starting the runner', { image: config.runner.image });
    const shared = sharedRunners(config);
    await fleet.start(namedFleetEntries(shared));
    await syncNamedRunners(fleet, shared);
    const projectRunners = new ProjectRunners({
      topology,
      client,
      settings,
      logger,
      suffix: topology.instance,
      stateDir: this.#options.glciHome,
    });
    const events = new MockEventHub({ client, logger });
    return {
      network,
      orchestrator,
      topology,
      client,
      events,
      fleet,
      projectRunners,
      dind: new DindWiring({ topology, fleet, logger, fillImage: config.mock.image, extraHosts }),
      images: new JobImages({
        orchestrator,
        logger,
        names: {
          ciRegistry: network.registry.ciRegistry,
          hostRegistry: network.registry.hostRegistry,
          upstreams,
        },
      }),
      resourceGroups: new ResourceGroups(),
      slots: new RunnerSlots(config.runner.concurrent),
      live: new LiveOutput({
        docker: orchestrator.docker,
        logger,
        runnerIds: () => [...fleet.runnerIds(), ...projectRunners.runnerIds()],
      }),
      pushThrough,
      close: () => {
        events.close();
        agent?.destroy();
        orchestrator.connection.close();
      },
    };
  }
}

/** The mock's internal secret, kept 0600 in `$GLCI_HOME` so a restarted daemon can talk to it. */
export async function mockSecret(glciHome: string): Promise<string> {
  const file = path.join(glciHome, 'mock-secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 16) return existing;
  } catch {
    // created below
  }
  const secret = randomBytes(32).toString('base64url');
  await mkdir(glciHome, { recursive: true, mode: 0o700 });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}
