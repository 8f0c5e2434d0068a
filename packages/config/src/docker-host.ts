import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Environment } from './env.js';
import { ConfigError, displayPath } from './errors.js';
import { GLOBAL_CONFIG_NAME, glciHome } from './locations.js';
import type { GlciConfig } from './schema.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export type DockerHostSource = 'config' | 'DOCKER_HOST' | 'context' | 'default';

/** TLS for a `tcp://` endpoint: files by path, each optional, and whether to verify the daemon. */
export interface DockerTls {
  /** Verify the daemon's certificate (against `ca`, or the system's CAs without one). */
  readonly verify: boolean;
  readonly ca?: string;
  /** The client certificate and its key; both or neither. */
  readonly cert?: string;
  readonly key?: string;
  /** Where the settings came from, for messages: `[docker] tls_* in ~/.glci/config.toml`, `DOCKER_CERT_PATH=...`, `Docker context "x"`. */
  readonly origin: string;
}

export interface ResolvedDockerHost {
  /** `unix:///path`, `tcp://host:port` (the port filled in as the Docker CLI does), `ssh://user@host[:port]` or `npipe://...`. */
  readonly host: string;
  readonly source: DockerHostSource;
  /** The Docker context that supplied the host, when `source` is `context`. */
  readonly context?: string;
  /** Present when the endpoint is `tcp://` with TLS. */
  readonly tls?: DockerTls;
}

const TLS_FILES = { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } as const;

/**
 * Resolves the Docker endpoint the way the Docker CLI does, with `[docker] host` in the place of
 * its `--host` flag:
 *
 * 1. `[docker] host` (TLS from the `[docker] tls_*` keys, else from DOCKER_TLS_VERIFY, DOCKER_TLS
 *    and DOCKER_CERT_PATH, as the CLI's flags default to them);
 * 2. `DOCKER_HOST` (same TLS variables): it overrides any context, as in the CLI;
 * 3. the context named by `DOCKER_CONTEXT`, else `currentContext` in `$DOCKER_CONFIG/config.json`
 *    (`~/.docker`), read from `contexts/meta/<sha256 of the name>/meta.json` with its TLS files
 *    under `contexts/tls/<sha256>/docker`; a named context that does not exist is an error, as in
 *    the CLI, never a silent fallback;
 * 4. the default socket (`default` is the name of that context).
 *
 * Throws `ConfigError` naming the file or variable and what was expected.
 */
export function resolveDockerHost(
  config: Pick<GlciConfig, 'docker'>,
  env: Environment = process.env,
  home: string = os.homedir(),
): ResolvedDockerHost {
  const docker = config.docker;
  if (docker.host) {
    const host = normalizeHost(docker.host, hasConfigTls(docker) || envTlsEnabled(env));
    const tls = host.startsWith('tcp://')
      ? hasConfigTls(docker)
        ? configTls(docker, env, home)
        : envTls(env, home)
      : undefined;
    return { host, source: 'config', ...(tls ? { tls } : {}) };
  }
  if (env.DOCKER_HOST) {
    if (!/^[a-z]+:\/\//.test(env.DOCKER_HOST) && !/^[^/]*:\d+$/.test(env.DOCKER_HOST)) {
      throw new ConfigError([
        {
          file: undefined,
          key: '',
          message: `DOCKER_HOST="${env.DOCKER_HOST}" (environment): expected a Docker endpoint such as "unix:///var/run/docker.sock", "tcp://host:2376" or "ssh://user@host"`,
        },
      ]);
    }
    const host = normalizeHost(env.DOCKER_HOST, envTlsEnabled(env));
    const tls = host.startsWith('tcp://') ? envTls(env, home) : undefined;
    return { host, source: 'DOCKER_HOST', ...(tls ? { tls } : {}) };
  }
  const dockerConfigDir = env.DOCKER_CONFIG || path.join(home, '.docker');
  const named = env.DOCKER_CONTEXT
    ? { name: env.DOCKER_CONTEXT, origin: 'DOCKER_CONTEXT (environment)' }
    : currentContext(dockerConfigDir);
  if (named && named.name !== 'default') return contextEndpoint(dockerConfigDir, named.name, named.origin);
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

/**
 * As the Docker CLI's host parsing: `host:port` alone means `tcp://`; a `tcp://` address without a
 * port gets 2376 with TLS, 2375 without; an empty host is localhost; `unix://` alone is the
 * default socket.
 */
function normalizeHost(host: string, tls: boolean): string {
  const withScheme = host.includes('://') ? host : `tcp://${host}`;
  if (withScheme === 'unix://') return `unix://${DEFAULT_DOCKER_SOCKET}`;
  if (!withScheme.startsWith('tcp://')) return withScheme;
  const rest = withScheme.slice('tcp://'.length).replace(/\/+$/, '');
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(rest);
  if (!match) return withScheme;
  const name = match[1] || 'localhost';
  const port = match[2] || (tls ? '2376' : '2375');
  return `tcp://${name}:${port}`;
}

function hasConfigTls(docker: GlciConfig['docker']): boolean {
  return (
    docker.tls_verify !== undefined ||
    docker.tls_cert_path !== undefined ||
    docker.tls_ca_cert !== undefined ||
    docker.tls_cert !== undefined ||
    docker.tls_key !== undefined
  );
}

/** `[docker] tls_*`: TLS on, verified unless `tls_verify = false`; every named file must be readable. */
function configTls(docker: GlciConfig['docker'], env: Environment, home: string): DockerTls | undefined {
  if (docker.tls_verify === false && !docker.tls_cert_path && !docker.tls_ca_cert && !docker.tls_cert) {
    // `tls_verify = false` alone: TLS without verification, as `docker --tls`.
    return { verify: false, origin: configOrigin(env, home) };
  }
  const file = path.join(glciHome(env, home), GLOBAL_CONFIG_NAME);
  const fromDir = (name: keyof typeof TLS_FILES) =>
    docker.tls_cert_path ? optionalFile(path.join(docker.tls_cert_path, TLS_FILES[name])) : undefined;
  const named = (key: 'tls_ca_cert' | 'tls_cert' | 'tls_key', value: string | undefined) => {
    if (value === undefined) return undefined;
    try {
      accessSync(value, constants.R_OK);
      return value;
    } catch (error) {
      throw new ConfigError([
        {
          file,
          key: `docker.${key}`,
          message: `cannot read ${value} (${(error as NodeJS.ErrnoException).code ?? String(error)}): expected a PEM file`,
        },
      ]);
    }
  };
  if (docker.tls_cert_path && !existsSync(docker.tls_cert_path)) {
    throw new ConfigError([
      {
        file,
        key: 'docker.tls_cert_path',
        message: `${docker.tls_cert_path} does not exist: expected a directory holding ca.pem, cert.pem and key.pem`,
      },
    ]);
  }
  const ca = named('tls_ca_cert', docker.tls_ca_cert) ?? fromDir('ca');
  const cert = named('tls_cert', docker.tls_cert) ?? fromDir('cert');
  const key = named('tls_key', docker.tls_key) ?? fromDir('key');
  return {
    verify: docker.tls_verify ?? true,
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    origin: configOrigin(env, home),
  };
}

function configOrigin(env: Environment, home: string): string {
  return `[docker] tls_* in ${displayPath(path.join(glciHome(env, home), GLOBAL_CONFIG_NAME))}`;
}

/** As the Docker CLI: any non-empty DOCKER_TLS_VERIFY (even "0") verifies; DOCKER_TLS alone encrypts without verifying. */
function envTlsEnabled(env: Environment): boolean {
  return Boolean(env.DOCKER_TLS_VERIFY) || Boolean(env.DOCKER_TLS);
}

/** DOCKER_TLS_VERIFY / DOCKER_TLS with the files under DOCKER_CERT_PATH (default: the Docker config directory), each used if present. */
function envTls(env: Environment, home: string): DockerTls | undefined {
  if (!envTlsEnabled(env)) return undefined;
  const certPath = env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || path.join(home, '.docker');
  const ca = optionalFile(path.join(certPath, TLS_FILES.ca));
  const cert = optionalFile(path.join(certPath, TLS_FILES.cert));
  const key = optionalFile(path.join(certPath, TLS_FILES.key));
  return {
    verify: Boolean(env.DOCKER_TLS_VERIFY),
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    origin: env.DOCKER_CERT_PATH
      ? `DOCKER_CERT_PATH=${env.DOCKER_CERT_PATH}`
      : `the Docker config directory ${displayPath(certPath)} (DOCKER_CERT_PATH unset)`,
  };
}

function optionalFile(file: string): string | undefined {
  return existsSync(file) ? file : undefined;
}

function currentContext(dockerConfigDir: string): { name: string; origin: string } | undefined {
  const file = path.join(dockerConfigDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let data: { currentContext?: unknown };
  try {
    data = JSON.parse(text) as { currentContext?: unknown };
  } catch (error) {
    throw new ConfigError([
      {
        file,
        key: '',
        message: `is not valid JSON (${(error as Error).message}); the Docker CLI reads its current context from it`,
      },
    ]);
  }
  if (typeof data.currentContext !== 'string' || data.currentContext === '') return undefined;
  return { name: data.currentContext, origin: `currentContext in ${displayPath(file)}` };
}

interface ContextMeta {
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

function contextEndpoint(dockerConfigDir: string, name: string, origin: string): ResolvedDockerHost {
  // The Docker CLI stores each context under the SHA-256 of its name, its TLS files under tls/<id>/docker.
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(dockerConfigDir, 'contexts', 'meta', id, 'meta.json');
  const fail = (message: string): never => {
    throw new ConfigError([{ file: undefined, key: '', message: `${origin}: ${message}` }]);
  };
  let meta: ContextMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as ContextMeta;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT'
        ? `names the Docker context "${name}", which does not exist (no ${displayPath(metaFile)}; \`docker context ls\` lists them)`
        : `the Docker context "${name}" cannot be read from ${displayPath(metaFile)} (${code ?? (error as Error).message})`,
    );
  }
  const endpoint = meta.Endpoints?.docker;
  if (typeof endpoint?.Host !== 'string' || endpoint.Host === '') {
    return fail(
      `the Docker context "${name}" has no Docker endpoint (Endpoints.docker.Host in ${displayPath(metaFile)})`,
    );
  }
  const tlsDir = path.join(dockerConfigDir, 'contexts', 'tls', id, 'docker');
  const ca = optionalFile(path.join(tlsDir, TLS_FILES.ca));
  const cert = optionalFile(path.join(tlsDir, TLS_FILES.cert));
  const key = optionalFile(path.join(tlsDir, TLS_FILES.key));
  const skipVerify = endpoint.SkipTLSVerify === true;
  // As the Docker CLI: TLS when the context has TLS files, or skips verification outright.
  const useTls = Boolean(ca || cert || key) || skipVerify;
  const host = normalizeHost(endpoint.Host, useTls);
  const tls: DockerTls | undefined =
    useTls && host.startsWith('tcp://')
      ? {
          verify: !skipVerify,
          ...(ca ? { ca } : {}),
          ...(cert && key ? { cert, key } : {}),
          origin: `Docker context "${name}"`,
        }
      : undefined;
  return { host, source: 'context', context: name, ...(tls ? { tls } : {}) };
}
