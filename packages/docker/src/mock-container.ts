import type { ContainerSpec } from './container-spec.js';

/**
 * `glci-mock tunnel` in the glci-mock image (its ENTRYPOINT's node and script): relays stdin and
 * stdout to the mock's port inside the container, for `createExecAgent`.
 */
export const MOCK_TUNNEL_COMMAND = ['/usr/bin/node', '/app/dist/bin.js', 'tunnel'] as const;

/**
 * What `glci-mock serve` writes on stdout once it listens: its URL, alone on the line (its logs go
 * to stderr). The mock is ready when this line appears after its latest start.
 */
export const MOCK_READY_LINE = /^https?:\/\/\S+$/;

export interface MockOptions {
  readonly image: string;
  readonly cmd?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /**
   * A Docker health check run inside the mock (exit 0: healthy), for stand-in images in tests.
   * Unset (glci-mock): no health check at all, not even the image's own, since Docker would start
   * a process in the container every interval for as long as it lives (a whole Node process for
   * `glci-mock healthcheck`: 15–22 % of a core at half a second). The mock is ready once it
   * writes `MOCK_READY_LINE`, which the daemon reads from the container's log stream.
   */
  readonly healthcheck?: string | readonly string[];
  readonly healthTimeoutMs?: number;
  readonly pullPolicy?: 'always' | 'if-not-present' | 'never';
}

/**
 * The `glci-mock` container: the port published on 127.0.0.1 (the host's daemon and host
 * processes reach it there) and, when given, on the default bridge's gateway address, which
 * only containers on this Docker host reach: job, helper and service containers get there as
 * `host.docker.internal` (extra_hosts → host-gateway) from their per-build networks. Inside, the
 * loopback publish lands on the same port and the gateway publish on a second one
 * (`mockContainerSidePort`, `GLCI_MOCK_CONTAINER_PORT`), so that the mock tells requests of other
 * containers from the host's and reads its registry anonymously only for the host and glci's own
 * networks (apps/mock connection-trust.ts). The registry, registry CA, cache and data volumes
 * mounted (the data volume keeps the Runner API's state, artifacts and git repositories across a
 * restart); no Docker health check unless `mock.healthcheck` asks for one (see `MockOptions`), and
 * no push-through file to poll (the daemon switches the mirror through the internal API).
 */
export function mockContainerSpec(options: {
  readonly mock: MockOptions;
  readonly name: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly volumes: {
    readonly registry: string;
    readonly registryCa: string;
    readonly cache: string;
    readonly data: string;
  };
  /** The default bridge's gateway IP: publish there too, for containers (see above). */
  readonly gatewayIp?: string;
}): ContainerSpec {
  const { mock, port, volumes } = options;
  const containerSide = mockContainerSidePort(port);
  return {
    image: mock.image,
    name: options.name,
    labels: options.labels,
    ...(mock.cmd ? { cmd: mock.cmd } : {}),
    // @glci/mock's settings: bind every interface inside (the publish below keeps it on loopback
    // outside), serve the registry and the cache from the mounted volumes.
    env: {
      GLCI_MOCK_HOST: '0.0.0.0',
      GLCI_MOCK_PORT: String(port),
      GLCI_MOCK_STORAGE: '/registry',
      GLCI_MOCK_CACHE_DIR: '/cache',
      GLCI_MOCK_DATA_DIR: '/data',
      // The image polls this file every 2 s by default; glci's daemon uses the internal API.
      GLCI_MOCK_PUSH_THROUGH_FILE: '',
      ...(options.gatewayIp ? { GLCI_MOCK_CONTAINER_PORT: String(containerSide) } : {}),
      ...mock.env,
    },
    ports: [
      { containerPort: port, hostPort: port, hostIp: '127.0.0.1' },
      ...(options.gatewayIp
        ? [{ containerPort: containerSide, hostPort: port, hostIp: options.gatewayIp }]
        : []),
    ],
    mounts: [
      { type: 'volume', source: volumes.registry, target: '/registry' },
      { type: 'volume', source: volumes.registryCa, target: '/registry-ca' },
      { type: 'volume', source: volumes.cache, target: '/cache' },
      { type: 'volume', source: volumes.data, target: '/data' },
    ],
    healthcheck:
      mock.healthcheck !== undefined
        ? { command: mock.healthcheck, intervalMs: 500, timeoutMs: 3000, retries: 60 }
        : { command: 'none' },
  };
}

/**
 * The port inside the mock's container that the bridge-gateway publish maps to (the host side
 * keeps `port`, so `host.docker.internal:<port>` is unchanged for jobs): the next one, or the one
 * before for 65535.
 */
export function mockContainerSidePort(port: number): number {
  return port < 65_535 ? port + 1 : port - 1;
}
