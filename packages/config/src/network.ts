import os from 'node:os';
import { type ResolvedDockerHost, resolveContainerSocket, resolveDockerHost } from './docker-host.js';
import type { Environment } from './env.js';
import type { GlciConfig } from './schema.js';

export interface ResolvedNetwork {
  readonly docker: ResolvedDockerHost & { readonly containerSocket: string };
  readonly mockServer: {
    readonly bind: string;
    readonly port: number;
    /** How processes on the Docker host reach the mock (the port is published on loopback only). */
    readonly hostUrl: string;
    /** How job containers reach the mock, through `container_host`. */
    readonly containerUrl: string;
  };
  readonly registry: {
    readonly bind: string;
    readonly httpBind: string;
    /** `CI_REGISTRY` as job containers see it. */
    readonly ciRegistry: string;
    /** What `$CI_REGISTRY` image references are rewritten to for the host's Docker daemon. */
    readonly hostRegistry: string;
  };
  readonly containerHost: string;
  /** `host-gateway`, or a fixed IP; "auto" becomes `host-gateway` here and the orchestrator may still fall back to the bridge IP on daemons older than 20.10. */
  readonly hostGateway: string;
  readonly hostGatewayConfigured: string;
  /** `extra_hosts` every job container gets: the container host first, then `[network.extra_hosts]`. */
  readonly extraHosts: readonly string[];
  readonly daemonSocket: string;
}

export function resolveNetwork(
  config: GlciConfig,
  env: Environment = process.env,
  home: string = os.homedir(),
): ResolvedNetwork {
  const dockerHost = resolveDockerHost(config, env, home);
  const { network } = config;
  const port = network.mock_server_port;
  const hostGateway = network.host_gateway === 'auto' ? 'host-gateway' : network.host_gateway;
  return {
    docker: { ...dockerHost, containerSocket: resolveContainerSocket(config, dockerHost) },
    mockServer: {
      bind: network.mock_server_bind,
      port,
      hostUrl: `http://127.0.0.1:${port}`,
      containerUrl: `http://${network.container_host}:${port}`,
    },
    registry: {
      bind: network.registry_bind,
      httpBind: network.registry_http_bind,
      ciRegistry: `${network.container_host}:${port}`,
      hostRegistry: `127.0.0.1:${port}`,
    },
    containerHost: network.container_host,
    hostGateway,
    hostGatewayConfigured: network.host_gateway,
    extraHosts: [`${network.container_host}:${hostGateway}`, ...network.extra_hosts.entries],
    daemonSocket: network.daemon_socket,
  };
}

export function formatNetworkText(resolved: ResolvedNetwork): string {
  const dockerSource =
    resolved.docker.source === 'context' ? `context ${resolved.docker.context}` : resolved.docker.source;
  const rows: [string, string][] = [
    ['docker host', `${resolved.docker.host} (from ${dockerSource})`],
    ['container socket', resolved.docker.containerSocket],
    ['mock server bind', resolved.mockServer.bind],
    ['mock server port', String(resolved.mockServer.port)],
    ['mock URL (host)', resolved.mockServer.hostUrl],
    ['mock URL (containers)', resolved.mockServer.containerUrl],
    ['CI_REGISTRY', resolved.registry.ciRegistry],
    ['registry (host daemon)', resolved.registry.hostRegistry],
    ['registry bind', resolved.registry.bind],
    ['registry HTTP bind', resolved.registry.httpBind],
    ['container host', resolved.containerHost],
    ['host gateway', `${resolved.hostGateway} (configured: ${resolved.hostGatewayConfigured})`],
    ['extra hosts', resolved.extraHosts.join(', ')],
    ['daemon socket', resolved.daemonSocket],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
