import { isIPv4 } from 'node:net';
import type { Environment, Logger, ResolvedDockerHost } from '@glci/config';
import type Docker from 'dockerode';
import { connectDocker, type DockerConnection } from './connection.js';
import { type ContainerSpec, toCreateOptions } from './container-spec.js';
import { dockerCall } from './docker-call.js';
import { DockerOperationError, isConflict, isNotFound } from './errors.js';
import { pullImage } from './image-pull.js';
import { filterLabels, type GlciFilter, LABEL_MANAGED, labelFilters } from './labels.js';
import { DockerStartedNetwork } from './network.js';
import type {
  ContainerInfo,
  FoundObjects,
  NetworkInfo,
  NetworkSpec,
  Orchestrator,
  PullOptions,
  PullResult,
  ReapOptions,
  ReapReport,
  StartedContainer,
  StartedNetwork,
  VolumeInfo,
  VolumeSpec,
} from './orchestrator.js';
import { reapGlciObjects } from './reaper.js';
import { DockerStartedContainer } from './started-container.js';

export interface DockerOrchestratorOptions {
  readonly docker: Docker;
  readonly logger: Logger;
  /** Daemon version from the connection, e.g. `20.10.24`; used for the host-gateway fallback. */
  readonly serverVersion?: string;
  /** For `DOCKER_CONFIG` (registry credentials). */
  readonly env?: Environment;
  /** `podman` when the endpoint is Podman's Docker-compatible API (from the connection). */
  readonly engine?: 'docker' | 'podman';
}

/** The `Orchestrator` on dockerode. Holds no state besides its injected client and logger. */
export class DockerOrchestrator implements Orchestrator {
  readonly docker: Docker;
  readonly serverVersion: string | undefined;
  readonly engine: 'docker' | 'podman' | undefined;
  readonly #logger: Logger;
  readonly #env: Environment | undefined;

  constructor(options: DockerOrchestratorOptions) {
    this.docker = options.docker;
    this.serverVersion = options.serverVersion;
    this.engine = options.engine;
    this.#logger = options.logger.child({ module: 'docker' });
    this.#env = options.env;
  }

  /** Connects per `resolveDockerHost`'s answer (with API version negotiation) and wraps the client. */
  static async connect(
    endpoint: ResolvedDockerHost,
    options: { logger: Logger; env?: Environment; sshArgs?: readonly string[] },
  ): Promise<DockerOrchestrator & { connection: DockerConnection }> {
    const connection = await connectDocker(endpoint, options);
    const orchestrator = new DockerOrchestrator({
      docker: connection.docker,
      logger: options.logger,
      serverVersion: connection.serverVersion,
      engine: connection.engine,
      ...(options.env ? { env: options.env } : {}),
    });
    return Object.assign(orchestrator, { connection });
  }

  pull(image: string, options: PullOptions = {}): Promise<PullResult> {
    return pullImage(this.docker, image, {
      ...options,
      logger: this.#logger,
      ...(this.#env ? { env: this.#env } : {}),
    });
  }

  async getNetwork(name: string): Promise<StartedNetwork | undefined> {
    try {
      const info = await dockerCall(this.#logger, `inspecting network ${name}`, { network: name }, () =>
        this.docker.getNetwork(name).inspect(),
      );
      const labels = (info.Labels ?? {}) as Record<string, string>;
      if (labels[LABEL_MANAGED] !== 'true') return undefined;
      return new DockerStartedNetwork(this.docker, { id: info.Id, name: info.Name, labels }, this.#logger);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async createNetwork(spec: NetworkSpec): Promise<StartedNetwork> {
    const existing = await this.getNetwork(spec.name);
    if (existing) {
      this.#logger.debug('reusing network', { network: spec.name });
      return existing;
    }
    let created: Docker.Network;
    try {
      created = await dockerCall(this.#logger, `creating network ${spec.name}`, { network: spec.name }, () =>
        this.docker.createNetwork({
          Name: spec.name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Attachable: true,
          Internal: spec.internal ?? false,
          Labels: { ...spec.labels },
        }),
      );
    } catch (error) {
      // Another caller created it between our look and our create: adopt it if it is glci's.
      const theirs = isConflict(error) ? await this.getNetwork(spec.name) : undefined;
      if (theirs) return theirs;
      throw error;
    }
    this.#logger.info('created network', { network: spec.name });
    return new DockerStartedNetwork(
      this.docker,
      { id: created.id, name: spec.name, labels: { ...spec.labels } },
      this.#logger,
    );
  }

  async ensureVolume(spec: VolumeSpec): Promise<{ name: string; created: boolean }> {
    try {
      const info = await dockerCall(
        this.#logger,
        `inspecting volume ${spec.name}`,
        { volume: spec.name },
        () => this.docker.getVolume(spec.name).inspect(),
      );
      if (info.Labels?.[LABEL_MANAGED] !== 'true') {
        throw new DockerOperationError(
          `creating volume ${spec.name}`,
          new Error('a volume of that name exists and was not made by glci; glci leaves it alone'),
        );
      }
      return { name: spec.name, created: false };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await dockerCall(this.#logger, `creating volume ${spec.name}`, { volume: spec.name }, () =>
      this.docker.createVolume({ Name: spec.name, Labels: { ...spec.labels } }),
    );
    this.#logger.info('created volume', { volume: spec.name });
    return { name: spec.name, created: true };
  }

  async run(spec: ContainerSpec): Promise<StartedContainer> {
    const label = spec.name ?? spec.image;
    const context = { container: label, image: spec.image };
    const container = await dockerCall(this.#logger, `creating container ${label}`, context, () =>
      this.docker.createContainer(toCreateOptions(spec)),
    );
    const info = await dockerCall(this.#logger, `inspecting container ${label}`, context, () =>
      container.inspect(),
    );
    const started = new DockerStartedContainer(
      this.docker,
      { id: info.Id, name: info.Name.replace(/^\//, ''), labels: info.Config.Labels ?? {} },
      this.#logger,
    );
    try {
      for (const network of (spec.networks ?? []).slice(1)) {
        await dockerCall(
          this.#logger,
          `attaching container ${label} to network ${network.name}`,
          context,
          () =>
            this.docker.getNetwork(network.name).connect({
              Container: info.Id,
              ...(network.aliases?.length ? { EndpointConfig: { Aliases: [...network.aliases] } } : {}),
            }),
        );
      }
      if (spec.files?.length) await started.copyFiles(spec.files);
      await dockerCall(this.#logger, `starting container ${label}`, context, () => container.start());
    } catch (error) {
      await started.stop({ timeoutMs: 0, remove: true }).catch(() => undefined);
      throw error;
    }
    this.#logger.info('started container', { ...context, containerId: info.Id.slice(0, 12) });
    return started;
  }

  async getContainer(nameOrId: string): Promise<StartedContainer | undefined> {
    try {
      const info = await dockerCall(
        this.#logger,
        `inspecting container ${nameOrId}`,
        { container: nameOrId },
        () => this.docker.getContainer(nameOrId).inspect(),
      );
      const labels = info.Config.Labels ?? {};
      if (labels[LABEL_MANAGED] !== 'true') return undefined;
      return new DockerStartedContainer(
        this.docker,
        { id: info.Id, name: info.Name.replace(/^\//, ''), labels },
        this.#logger,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async find(filter: GlciFilter = {}): Promise<FoundObjects> {
    const filters = JSON.stringify(labelFilters(filterLabels(filter)));
    const context = { filter };
    const [containers, networks, volumes] = await Promise.all([
      dockerCall(this.#logger, 'listing glci containers', context, () =>
        this.docker.listContainers({ all: true, filters }),
      ),
      dockerCall(this.#logger, 'listing glci networks', context, () => this.docker.listNetworks({ filters })),
      dockerCall(this.#logger, 'listing glci volumes', context, () => this.docker.listVolumes({ filters })),
    ]);
    // Network listings do not say which containers are attached; the container listing does.
    const attached = new Map<string, string[]>();
    for (const container of containers) {
      for (const network of Object.keys(container.NetworkSettings?.Networks ?? {})) {
        attached.set(network, [...(attached.get(network) ?? []), containerName(container.Names)]);
      }
    }
    return {
      containers: containers.map(
        (c): ContainerInfo => ({
          id: c.Id,
          name: containerName(c.Names),
          image: c.Image,
          state: c.State,
          status: c.Status,
          labels: c.Labels ?? {},
          networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
          createdAt: new Date(c.Created * 1000),
          ...((c as { SizeRw?: number }).SizeRw !== undefined
            ? { sizeRw: (c as { SizeRw?: number }).SizeRw }
            : {}),
        }),
      ),
      networks: networks.map(
        (n): NetworkInfo => ({
          id: n.Id,
          name: n.Name,
          labels: n.Labels ?? {},
          containers: attached.get(n.Name) ?? [],
        }),
      ),
      volumes: (volumes.Volumes ?? []).map(
        (v): VolumeInfo => ({ name: v.Name, labels: v.Labels ?? {}, mountpoint: v.Mountpoint }),
      ),
    };
  }

  reap(filter: GlciFilter = {}, options: ReapOptions = {}): Promise<ReapReport> {
    return reapGlciObjects(this.docker, this.#logger, filter, options);
  }

  /**
   * The default bridge's gateway IP: where `host-gateway` points, and the fallback for old daemons.
   * dockerd lists only the subnet of its default bridge (no `Gateway`), and gives the bridge the
   * subnet's first address, so that is derived; 172.17.0.1 only when the daemon says nothing.
   * (Another engine's bridge is elsewhere: a remote host's dockerd, or one whose 172.17/16 was taken.)
   */
  async bridgeGateway(): Promise<string> {
    const info = await dockerCall(this.#logger, 'inspecting the default bridge network', {}, () =>
      this.docker.getNetwork('bridge').inspect(),
    );
    const configs = (info.IPAM?.Config ?? []) as { Gateway?: string; Subnet?: string }[];
    const gateway = configs.find((c) => c.Gateway && isIPv4(c.Gateway))?.Gateway;
    if (gateway) return gateway;
    const subnet = configs.find((c) => c.Subnet && isIPv4(c.Subnet.split('/')[0] ?? ''))?.Subnet;
    return subnet ? firstHostAddress(subnet) : '172.17.0.1';
  }
}

/** `172.18.0.0/16` → `172.18.0.1`: the address dockerd gives its bridge by default. */
export function firstHostAddress(subnet: string): string {
  const [address = '', bits = '32'] = subnet.split('/');
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  const first = ((value & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join('.');
}

function containerName(names: readonly string[] | undefined): string {
  return (names?.[0] ?? '').replace(/^\//, '');
}
