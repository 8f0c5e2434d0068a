import { WaitTimeoutError } from './errors.js';
import type { StartedContainer } from './orchestrator.js';

/** Where DinD's TLS material lives, as the official `docker:dind` image lays it out. */
export const DIND_CERT_DIR = '/certs';
export const DIND_CLIENT_CERT_DIR = '/certs/client';
export const DIND_TLS_PORT = 2376;
export const DIND_PLAIN_PORT = 2375;

/**
 * A DinD daemon's own networks, away from Docker's defaults. A dockerd in a container picks
 * 172.17.0.0/16 for its bridge just as the host's did, and then 172.17.0.1 inside the DinD
 * service is its own bridge: the host gateway (`host.docker.internal`, where the mock's port is
 * published) becomes unreachable from the inner daemon ("connection refused" on push). Networks
 * it creates (`docker network create`, compose) come from the second range for the same reason.
 */
export const DIND_NETWORK_SETTINGS = {
  bip: '10.235.255.1/24',
  'default-address-pools': [{ base: '10.236.0.0/16', size: 24 }],
} as const;

/** `DIND_NETWORK_SETTINGS` as `dockerd` flags, for a DinD service configured by its command line. */
export function dindNetworkFlags(): string[] {
  const pool = DIND_NETWORK_SETTINGS['default-address-pools'][0];
  return [`--bip=${DIND_NETWORK_SETTINGS.bip}`, `--default-address-pool=base=${pool.base},size=${pool.size}`];
}

/** The settings glci owns in a `daemon.json`; `dindDaemonConfig` refuses them in `extra`. */
export const DAEMON_REGISTRY_KEYS = ['insecure-registries', 'registry-mirrors'] as const;

export type DaemonConfig = Readonly<Record<string, unknown>> & {
  readonly 'insecure-registries': readonly string[];
  readonly 'registry-mirrors': readonly string[];
};

/**
 * The `daemon.json` settings a dockerd needs to pull through the mock's registry (`mockHost`,
 * e.g. `glci-mock:39741` on a per-DinD-job network): the registry as insecure registry and as
 * Docker Hub mirror, plus whatever else the daemon needs (`extra`: `hosts`, `log-level`, ...).
 * `extra` may not set the registry settings itself.
 */
export function dindDaemonConfig(
  mockHost: string,
  extra: Readonly<Record<string, unknown>> = {},
  /** The same registry under its other names (`CI_REGISTRY`, `host.docker.internal:<port>`). */
  aliases: readonly string[] = [],
  /** Other plain-HTTP registries jobs push to (an external `[registry] url` on http://): trusted, never mirrors. */
  plainHttpRegistries: readonly string[] = [],
): DaemonConfig {
  const clash = DAEMON_REGISTRY_KEYS.filter((key) => key in extra);
  if (clash.length > 0) {
    throw new Error(
      `daemon.json: ${clash.join(', ')} come from glci's registry (${mockHost}), not from extra settings`,
    );
  }
  const insecure = [...new Set([mockHost, ...aliases, ...plainHttpRegistries])];
  return { ...extra, 'insecure-registries': insecure, 'registry-mirrors': [`http://${mockHost}`] };
}

/** `dindDaemonConfig` as the file: the `daemon.json` a job's DinD service gets. */
export function dindDaemonJson(
  mockHost: string,
  extra: Readonly<Record<string, unknown>> = {},
  aliases: readonly string[] = [],
  plainHttpRegistries: readonly string[] = [],
): string {
  return `${JSON.stringify(dindDaemonConfig(mockHost, extra, aliases, plainHttpRegistries), null, 2)}\n`;
}

/**
 * The `buildkitd.toml` for `docker buildx create --config`: the mock's registry (and any other
 * plain-HTTP registry jobs push to) over plain HTTP, and the mock as mirror for `docker.io`.
 * BuildKit reads neither the daemon's `insecure-registries` nor its mirrors, so a builder of the
 * `docker-container` driver needs this file to push to `$CI_REGISTRY`.
 */
export function buildkitdToml(
  mockHost: string,
  aliases: readonly string[] = [],
  plainHttpRegistries: readonly string[] = [],
): string {
  const plainHttp = [...new Set([mockHost, ...aliases, ...plainHttpRegistries])].flatMap((host) => [
    `[registry."${host}"]`,
    '  http = true',
    '  insecure = true',
    '',
  ]);
  return [...plainHttp, '[registry."docker.io"]', `  mirrors = ["${mockHost}"]`, ''].join('\n');
}

/**
 * The environment of a DinD job: `DOCKER_HOST` on the TLS port with `DOCKER_TLS_VERIFY` and
 * `DOCKER_CERT_PATH` (the client certs the service writes to the shared `/certs/client`), or the
 * plain port with TLS disabled.
 */
export function dindClientEnv(options: { tls: boolean; host?: string }): Record<string, string> {
  const host = options.host ?? 'docker';
  if (options.tls) {
    return {
      DOCKER_HOST: `tcp://${host}:${DIND_TLS_PORT}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: DIND_CLIENT_CERT_DIR,
      DOCKER_TLS_CERTDIR: DIND_CERT_DIR,
    };
  }
  return { DOCKER_HOST: `tcp://${host}:${DIND_PLAIN_PORT}`, DOCKER_TLS_CERTDIR: '' };
}

/** The environment of the `docker:dind` service itself. */
export function dindServiceEnv(options: { tls: boolean }): Record<string, string> {
  return { DOCKER_TLS_CERTDIR: options.tls ? DIND_CERT_DIR : '' };
}

export interface DindReadinessOptions {
  readonly tls: boolean;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The readiness gate: polls inside `container` (the DinD service, or the job container that
 * shares its certs) until the client certificates exist (TLS) and `docker info` answers.
 */
export async function waitForDind(container: StartedContainer, options: DindReadinessOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const intervalMs = options.intervalMs ?? 500;
  const probe = options.tls
    ? `test -f ${DIND_CLIENT_CERT_DIR}/ca.pem && test -f ${DIND_CLIENT_CERT_DIR}/cert.pem && docker info >/dev/null`
    : 'docker info >/dev/null';
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    options.signal?.throwIfAborted();
    const result = await container.exec(['sh', '-c', probe], {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.exitCode === 0) return;
    last = (result.stderr || result.stdout).trim();
    const state = await container.state();
    if (!state.running) {
      throw new WaitTimeoutError(
        `the DinD daemon in ${container.name}`,
        0,
        `the container is ${state.status}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(`the DinD daemon in ${container.name}`, timeoutMs, last || undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
