import type { ResolvedNetwork } from '@glci/config';

/** What the daemon tells about itself that decides how `container_host` is mapped. */
export interface DaemonFacts {
  /** e.g. `20.10.24`; `host-gateway` in `extra_hosts` needs 20.10 or later. */
  readonly serverVersion: string;
  /** The default bridge's gateway IP, the fallback target for `container_host`. */
  readonly bridgeGateway: string;
  /** `podman` for Podman's Docker-compatible API (whose `serverVersion` is Podman's own). */
  readonly engine?: 'docker' | 'podman';
}

/**
 * Whether the daemon understands the special `host-gateway` value in `extra_hosts` (Docker 20.10+).
 * Podman's Docker-compatible API does not (4.3 writes "host-gateway" into /etc/hosts as if it were
 * an address), so Podman gets the bridge gateway's address instead.
 */
export function supportsHostGateway(serverVersion: string, engine: 'docker' | 'podman' = 'docker'): boolean {
  if (engine === 'podman') return false;
  const [major = 0, minor = 0] = serverVersion.split(/[.+-]/).map((part) => Number.parseInt(part, 10) || 0);
  return major > 20 || (major === 20 && minor >= 10);
}

/**
 * The `extra_hosts` of every job container: `container_host` first, mapped to `host-gateway`
 * when `host_gateway` is `auto` and the daemon supports it, to the bridge gateway IP on older
 * daemons, or to the configured IP; then the `[network.extra_hosts] entries`.
 */
export function jobExtraHosts(network: ResolvedNetwork, daemon: DaemonFacts): string[] {
  const configured = network.hostGatewayConfigured;
  let target: string;
  if (configured === 'auto') {
    target = supportsHostGateway(daemon.serverVersion, daemon.engine) ? 'host-gateway' : daemon.bridgeGateway;
  } else {
    target = configured;
  }
  // `resolveNetwork` puts the container host first; the rest are the user's entries.
  return [`${network.containerHost}:${target}`, ...network.extraHosts.slice(1)];
}

/**
 * Rewrites an image reference from a job's `image:` or `services:` that points at `$CI_REGISTRY`
 * (literally `$CI_REGISTRY/...`, `${CI_REGISTRY}/...`, or the expanded `host.docker.internal:39741/...`)
 * to `127.0.0.1:<port>/...`, which is how the host's Docker daemon reaches the mock's registry.
 * Anything else is returned unchanged.
 */
export function rewriteRegistryImage(image: string, network: Pick<ResolvedNetwork, 'registry'>): string {
  const { ciRegistry, hostRegistry } = network.registry;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitLab's variable syntax, literally
  for (const prefix of ['$CI_REGISTRY/', '${CI_REGISTRY}/', `${ciRegistry}/`]) {
    if (image.startsWith(prefix)) return `${hostRegistry}/${image.slice(prefix.length)}`;
  }
  return image;
}
