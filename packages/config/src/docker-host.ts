import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Environment } from './env.js';
import type { GlciConfig } from './schema.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export type DockerHostSource = 'config' | 'context' | 'DOCKER_HOST' | 'default';

export interface ResolvedDockerHost {
  /** `unix:///path`, `tcp://host:port`, `ssh://user@host` or `npipe://...`. */
  readonly host: string;
  readonly source: DockerHostSource;
  /** The Docker context that supplied the host, when `source` is `context`. */
  readonly context?: string;
  /** TLS material for `tcp://`, from the context or `DOCKER_CERT_PATH`/`DOCKER_TLS_VERIFY`. */
  readonly tls?: { readonly verify: boolean; readonly certPath?: string };
}

/**
 * Resolves the Docker endpoint in glci's documented order: `[docker] host`, the active Docker
 * context (`DOCKER_CONTEXT` or `currentContext` in `$DOCKER_CONFIG/config.json`), `DOCKER_HOST`,
 * then the default socket.
 */
export function resolveDockerHost(
  config: Pick<GlciConfig, 'docker'>,
  env: Environment = process.env,
  home: string = os.homedir(),
): ResolvedDockerHost {
  const tls = tlsFromEnv(env);
  if (config.docker.host) return { host: config.docker.host, source: 'config', ...(tls ? { tls } : {}) };

  const dockerConfigDir = env.DOCKER_CONFIG ?? path.join(home, '.docker');
  const contextName = env.DOCKER_CONTEXT ?? readCurrentContext(dockerConfigDir);
  if (contextName && contextName !== 'default') {
    const endpoint = readContextEndpoint(dockerConfigDir, contextName);
    if (endpoint) {
      // As the Docker CLI does: TLS when the context has TLS files, or skips verification outright.
      const contextTls =
        endpoint.certPath || endpoint.skipTLSVerify === true
          ? {
              verify: endpoint.skipTLSVerify !== true,
              ...(endpoint.certPath ? { certPath: endpoint.certPath } : {}),
            }
          : undefined;
      return {
        host: endpoint.host,
        source: 'context',
        context: contextName,
        ...(contextTls ? { tls: contextTls } : {}),
      };
    }
  }
  if (env.DOCKER_HOST) return { host: env.DOCKER_HOST, source: 'DOCKER_HOST', ...(tls ? { tls } : {}) };
  return { host: `unix://${DEFAULT_DOCKER_SOCKET}`, source: 'default' };
}

/** The socket to mount into runner containers: the configured one, or derived from the endpoint. */
export function resolveContainerSocket(
  config: Pick<GlciConfig, 'docker'>,
  dockerHost: ResolvedDockerHost,
): string {
  if (config.docker.container_socket !== 'auto') return config.docker.container_socket;
  // A local unix endpoint is the socket itself; for remote daemons the socket on that host is the default one.
  if (dockerHost.host.startsWith('unix://')) return dockerHost.host.slice('unix://'.length);
  return DEFAULT_DOCKER_SOCKET;
}

function tlsFromEnv(env: Environment): ResolvedDockerHost['tls'] {
  const verify =
    env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  if (!verify && !env.DOCKER_CERT_PATH) return undefined;
  return { verify, ...(env.DOCKER_CERT_PATH ? { certPath: env.DOCKER_CERT_PATH } : {}) };
}

function readCurrentContext(dockerConfigDir: string): string | undefined {
  const data = readJson(path.join(dockerConfigDir, 'config.json')) as
    | { currentContext?: unknown }
    | undefined;
  return typeof data?.currentContext === 'string' ? data.currentContext : undefined;
}

function readContextEndpoint(
  dockerConfigDir: string,
  name: string,
): { host: string; skipTLSVerify?: boolean; certPath?: string } | undefined {
  // The Docker CLI stores each context under the SHA-256 of its name, its TLS files under tls/<id>/docker.
  const id = createHash('sha256').update(name).digest('hex');
  const certPath = path.join(dockerConfigDir, 'contexts', 'tls', id, 'docker');
  const meta = readJson(path.join(dockerConfigDir, 'contexts', 'meta', id, 'meta.json')) as
    | { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } }
    | undefined;
  const docker = meta?.Endpoints?.docker;
  if (typeof docker?.Host !== 'string') return undefined;
  return {
    host: docker.Host,
    ...(typeof docker.SkipTLSVerify === 'boolean' ? { skipTLSVerify: docker.SkipTLSVerify } : {}),
    ...(existsSync(certPath) ? { certPath } : {}),
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
