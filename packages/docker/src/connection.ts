import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Environment, Logger, ResolvedDockerHost } from '@glci/config';
import Docker from 'dockerode';
import { DockerConnectionError } from './errors.js';

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
  /** The daemon's version, e.g. `20.10.24`. */
  readonly serverVersion: string;
}

export interface ConnectDockerOptions {
  readonly logger: Logger;
  readonly env?: Environment;
  /** Per-request socket timeout; none by default (pulls and waits can be long). */
  readonly timeoutMs?: number;
}

/**
 * Connects to the endpoint `resolveDockerHost` chose (config → Docker context → `DOCKER_HOST` →
 * default socket), checks the daemon answers, and negotiates the API version: the daemon's own
 * version, capped at `MAX_API_VERSION`. Failures become a `DockerConnectionError` that says whether
 * the daemon is not running, the socket is not accessible, or the host cannot be reached.
 */
export async function connectDocker(
  endpoint: ResolvedDockerHost,
  options: ConnectDockerOptions,
): Promise<DockerConnection> {
  const logger = options.logger.child({ module: 'docker-connection' });
  const base = dockerodeOptions(endpoint, options.env ?? process.env);
  const context = { host: endpoint.host, source: endpoint.source };
  logger.debug('connecting to the Docker daemon', context);
  let serverApi: string;
  let serverVersion: string;
  try {
    const probe = new Docker({ ...base, ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}) });
    await probe.ping();
    const version = await probe.version();
    serverApi = version.ApiVersion;
    serverVersion = version.Version;
  } catch (error) {
    const classified = classifyConnectionError(endpoint.host, error);
    logger.error('cannot connect to the Docker daemon', { ...context, error: classified.message });
    throw classified;
  }
  const apiVersion = compareApiVersions(serverApi, MAX_API_VERSION) > 0 ? MAX_API_VERSION : serverApi;
  if (compareApiVersions(apiVersion, MIN_API_VERSION) < 0) {
    logger.warn('the Docker daemon is older than glci supports', { ...context, serverVersion, apiVersion });
  }
  const docker = new Docker({
    ...base,
    version: `v${apiVersion}`,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  logger.debug('connected to the Docker daemon', { ...context, serverVersion, apiVersion });
  return { docker, endpoint, apiVersion, serverVersion };
}

/**
 * dockerode options for an endpoint. Every connection field is set explicitly, because docker-modem
 * would otherwise fill the gaps from `process.env.DOCKER_HOST` and friends.
 */
export function dockerodeOptions(
  endpoint: ResolvedDockerHost,
  env: Environment = process.env,
): Docker.DockerOptions {
  const cleared = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    username: undefined,
    sshOptions: undefined,
  } as unknown as Docker.DockerOptions;
  const url = parseEndpoint(endpoint.host);
  switch (url.protocol) {
    case 'unix:': {
      const socketPath = decodeURIComponent(url.pathname) || '/var/run/docker.sock';
      return { ...cleared, socketPath };
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const dockerConfig = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
      // A context keeps its TLS material under contexts/tls/<sha256(name)>/docker, and uses TLS
      // only when that material exists (as the Docker CLI does).
      const contextTls = endpoint.context
        ? path.join(
            dockerConfig,
            'contexts/tls',
            createHash('sha256').update(endpoint.context).digest('hex'),
            'docker',
          )
        : undefined;
      const contextHasTls = contextTls !== undefined && existsSync(path.join(contextTls, 'ca.pem'));
      const tls =
        url.protocol === 'https:' ||
        (endpoint.source === 'context' ? contextHasTls : endpoint.tls?.verify === true);
      const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
      if (!tls) return { ...cleared, host: url.hostname, port, protocol: 'http' };
      const certPath = (contextHasTls ? contextTls : endpoint.tls?.certPath) ?? dockerConfig;
      return {
        ...cleared,
        host: url.hostname,
        port,
        protocol: 'https',
        ...readTlsMaterial(endpoint.host, certPath),
      };
    }
    case 'ssh:': {
      const port = url.port ? Number(url.port) : 22;
      return {
        ...cleared,
        protocol: 'ssh',
        host: url.hostname,
        port,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        sshOptions: env.SSH_AUTH_SOCK ? { agent: env.SSH_AUTH_SOCK } : {},
      } as Docker.DockerOptions;
    }
    default:
      throw new DockerConnectionError(
        endpoint.host,
        'unsupported',
        `unsupported Docker endpoint ${endpoint.host}: glci speaks unix://, tcp:// and ssh://`,
      );
  }
}

function parseEndpoint(host: string): URL {
  try {
    // `unix:///var/run/docker.sock` parses with an empty host and the socket as path.
    return new URL(host);
  } catch (error) {
    throw new DockerConnectionError(host, 'unsupported', `cannot parse the Docker endpoint "${host}"`, error);
  }
}

function readTlsMaterial(host: string, certPath: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  const read = (name: string) => {
    const file = path.join(certPath, name);
    try {
      return readFileSync(file);
    } catch (error) {
      throw new DockerConnectionError(
        host,
        'tls',
        `TLS is enabled for ${host} (DOCKER_TLS_VERIFY) but ${file} cannot be read: set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem`,
        error,
      );
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** Turns a low-level failure into an error that tells the user what is wrong and what to try. */
export function classifyConnectionError(host: string, error: unknown): DockerConnectionError {
  if (error instanceof DockerConnectionError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  const socket = host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  if (code === 'ENOENT' || (code === 'ECONNREFUSED' && socket)) {
    return new DockerConnectionError(
      host,
      'not-running',
      socket
        ? `the Docker daemon is not running: nothing listens on ${socket} (${code}). Start dockerd, or point [docker] host / DOCKER_HOST at a running daemon`
        : `the Docker daemon is not running at ${host} (${code})`,
      error,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new DockerConnectionError(
      host,
      'permission',
      `permission denied on ${socket ?? host}: add your user to the "docker" group (then log in again) or run with access to the socket`,
      error,
    );
  }
  if (code === 'ECONNREFUSED') {
    return new DockerConnectionError(
      host,
      'not-running',
      `no Docker daemon answers at ${host} (connection refused): is dockerd running and listening there?`,
      error,
    );
  }
  if (/CERT|SSL|TLS|certificate|EPROTO/i.test(`${code} ${detail}`)) {
    return new DockerConnectionError(
      host,
      'tls',
      `TLS handshake with ${host} failed: check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY (${detail})`,
      error,
    );
  }
  if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(code)) {
    return new DockerConnectionError(
      host,
      'unreachable',
      `cannot reach the Docker host ${host} (${code})`,
      error,
    );
  }
  return new DockerConnectionError(
    host,
    'unreachable',
    `cannot talk to the Docker daemon at ${host}: ${detail}`,
    error,
  );
}

/** Compares `1.41`-style versions numerically. */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
