import type { ContainerSpec } from './container-spec.js';

/**
 * `glci-mock tunnel` in the glci-mock image (its ENTRYPOINT's node and script): relays stdin and
 * stdout to the mock's port inside the container, for `createExecAgent`.
 */
export const MOCK_TUNNEL_COMMAND = ['/usr/bin/node', '/app/dist/bin.js', 'tunnel'] as const;

export interface MockOptions {
  readonly image: string;
  readonly cmd?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run inside the mock; exit 0 means healthy. Defaults to the image's own `glci-mock healthcheck`,
   * run without a shell (the glci-mock image has none).
   */
  readonly healthcheck?: string | readonly string[];
  readonly healthTimeoutMs?: number;
  readonly pullPolicy?: 'always' | 'if-not-present' | 'never';
}

/**
 * The `glci-mock` container: the port published on 127.0.0.1 only (the host's daemon and host
 * processes reach it there, nothing else does) and served on the same port inside, the registry,
 * registry CA and cache volumes mounted, and a Docker health check (`glci-mock healthcheck`,
 * which asks the mock's `/internal/health`).
 */
export function mockContainerSpec(options: {
  readonly mock: MockOptions;
  readonly name: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly volumes: { readonly registry: string; readonly registryCa: string; readonly cache: string };
}): ContainerSpec {
  const { mock, port, volumes } = options;
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
      ...mock.env,
    },
    ports: [{ containerPort: port, hostPort: port, hostIp: '127.0.0.1' }],
    mounts: [
      { type: 'volume', source: volumes.registry, target: '/registry' },
      { type: 'volume', source: volumes.registryCa, target: '/registry-ca' },
      { type: 'volume', source: volumes.cache, target: '/cache' },
    ],
    healthcheck: {
      command: mock.healthcheck ?? ['glci-mock', 'healthcheck'],
      intervalMs: 500,
      timeoutMs: 3000,
      retries: 60,
    },
  };
}
