/** An image reference split as Docker reads it. */
export interface ImageReference {
  /** `docker.io` for Docker Hub (short names included); `host[:port]` otherwise. */
  readonly registry: string;
  /** The path in the registry; Docker Hub's official images get `library/`. */
  readonly repository: string;
  /** `:tag` or `@sha256:…`; `:latest` when the reference named neither. */
  readonly suffix: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * `alpine` → `docker.io` `library/alpine` `:latest`; `ghcr.io/o/i@sha256:…` → `ghcr.io` `o/i`
 * `@sha256:…`. The first path component is a registry when it has a `.` or `:` or is `localhost`.
 */
export function parseImageReference(image: string): ImageReference {
  let rest = image;
  let suffix = ':latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    suffix = rest.slice(at);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      suffix = rest.slice(colon);
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? (DOCKER_HUB.has(first) ? 'docker.io' : first) : 'docker.io';
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository, suffix };
}

/** The host part of an upstream URL as a registry name (`https://registry-1.docker.io` → `docker.io`). */
export function upstreamRegistry(url: string): string {
  const host = new URL(url).host;
  return DOCKER_HUB.has(host) ? 'docker.io' : host;
}
