import type { Environment, Logger, ResolvedDockerHost } from '@glci/config';
import Docker from 'dockerode';
import { classifyConnectionError } from './engine/classify.js';
import { dockerodeOptions } from './engine/transport.js';
import { DockerConnectionError } from './errors.js';

export { classifyConnectionError } from './engine/classify.js';
export { dockerodeOptions, type TransportOptions } from './engine/transport.js';

/** The newest Engine API version this package is written against; newer daemons are asked for this one. */
export const MAX_API_VERSION = '1.43';
/** The oldest Engine API version glci supports (Docker 20.10). */
export const MIN_API_VERSION = '1.41';

export interface DockerConnection {
  readonly docker: Docker;
  /** The endpoint, as resolved by `@glci/config`'s `resolveDockerHost`. */
  readonly endpoint: ResolvedDockerHost;
  /** The negotiated Engine API version every request uses, e.g. `1.41`. */
  readonly apiVersion: string;
  /** The daemon's version, e.g. `20.10.24` (Podman: its own version, e.g. `4.3.1`). */
  readonly serverVersion: string;
  /** `docker` or `podman` (Podman's Docker-compatible API names itself in `/version`'s components). */
  readonly engine: 'docker' | 'podman';
  /** Ends the transport's kept-alive connections (ssh processes, TLS sockets). */
  close(): void;
}

export interface ConnectDockerOptions {
  readonly logger: Logger;
  /** The environment of the `ssh` process for `ssh://` endpoints; this process's by default. */
  readonly env?: Environment;
  /** Extra `ssh` arguments for `ssh://` endpoints (tests point them at their own known_hosts and key). */
  readonly sshArgs?: readonly string[];
  /** Per-request socket timeout; none by default (pulls and waits can be long). */
  readonly timeoutMs?: number;
}

/**
 * Connects to the endpoint `resolveDockerHost` chose (`[docker] host` → DOCKER_HOST → Docker
 * context → default socket), checks the daemon answers, and negotiates the API version: the
 * daemon's own, capped at `MAX_API_VERSION`; a daemon older than `MIN_API_VERSION` is refused.
 * Every failure is a `DockerConnectionError` whose message names the endpoint and the step that
 * failed (connect, TLS verification, ssh authentication, ssh host key, API version).
 */
export async function connectDocker(
  endpoint: ResolvedDockerHost,
  options: ConnectDockerOptions,
): Promise<DockerConnection> {
  const logger = options.logger.child({ module: 'docker-connection' });
  const context = { host: endpoint.host, source: endpoint.source };
  logger.debug('connecting to the Docker daemon', context);
  let base: Docker.DockerOptions;
  let serverApi: string;
  let serverVersion: string;
  let engine: DockerConnection['engine'];
  try {
    base = dockerodeOptions(endpoint, {
      logger,
      ...(options.env ? { env: options.env as NodeJS.ProcessEnv } : {}),
      ...(options.sshArgs ? { sshArgs: options.sshArgs } : {}),
    });
  } catch (error) {
    const classified = classifyConnectionError(endpoint.host, error, endpoint.tls);
    logger.error('cannot connect to the Docker daemon', { ...context, error: classified.message });
    throw classified;
  }
  const close = () => (base as { agent?: { destroy(): void } }).agent?.destroy();
  try {
    const probe = new Docker({ ...base, ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}) });
    await probe.ping();
    const version = await probe.version();
    serverApi = version.ApiVersion;
    serverVersion = version.Version;
    engine = version.Components?.some((component) => /podman/i.test(component.Name)) ? 'podman' : 'docker';
  } catch (error) {
    close();
    const classified = classifyConnectionError(endpoint.host, error, endpoint.tls);
    logger.error('cannot connect to the Docker daemon', { ...context, error: classified.message });
    throw classified;
  }
  if (compareApiVersions(serverApi, MIN_API_VERSION) < 0) {
    close();
    const error = new DockerConnectionError(
      endpoint.host,
      'api-version',
      `${endpoint.host}: API version: the daemon (${serverVersion}) speaks Engine API ${serverApi}; glci needs ${MIN_API_VERSION} (Docker 20.10) or newer. Upgrade Docker on that host`,
    );
    logger.error('the Docker daemon is too old', { ...context, serverVersion, apiVersion: serverApi });
    throw error;
  }
  const apiVersion = compareApiVersions(serverApi, MAX_API_VERSION) > 0 ? MAX_API_VERSION : serverApi;
  const docker = new Docker({
    ...base,
    version: `v${apiVersion}`,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  logger.debug('connected to the Docker daemon', { ...context, serverVersion, apiVersion, engine });
  return { docker, endpoint, apiVersion, serverVersion, engine, close };
}

/** Compares `1.41`-style versions numerically. */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
