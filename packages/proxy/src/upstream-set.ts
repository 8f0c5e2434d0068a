import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger, UpstreamConfig } from '@glci/config';
import type { Clock } from './clock.js';
import { HttpUpstreamClient } from './http-upstream-client.js';
import type { UpstreamClient } from './upstream-client.js';

/** An upstream as configured, plus optional extra host names that select it in a prefixed name. */
export type ProxyUpstreamConfig = Pick<UpstreamConfig, 'url'> &
  Partial<Omit<UpstreamConfig, 'url'>> & {
    /** Names that select this upstream as a prefix or `ns` (its host is always one). */
    readonly aliases?: readonly string[];
  };

const DOCKER_HUB_NAMES = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'];

/** Per-upstream counters, as `stats()` returns them. */
export interface UpstreamStats {
  readonly url: string;
  /** Requests answered from the cache with no upstream request. */
  hits: number;
  /** Requests that had to fetch from this upstream. */
  misses: number;
  /** Tags whose validity ran out and were checked with a HEAD. */
  revalidations: number;
  /** Cached copies served because this upstream failed (down, timeout, 5xx, 429). */
  staleServed: number;
  bytesFromCache: number;
  bytesFetched: number;
  /** The last `ratelimit-remaining` header value seen, e.g. `76;w=21600`. */
  rateLimitRemaining?: string;
  lastError?: string;
}

export class Upstream {
  readonly url: string;
  readonly host: string;
  readonly names: readonly string[];
  readonly isDockerHub: boolean;
  readonly validityMs: number;
  readonly stats: UpstreamStats;

  constructor(
    config: ProxyUpstreamConfig,
    readonly client: UpstreamClient,
  ) {
    const url = new URL(config.url);
    this.url = client.url;
    this.host = url.host;
    this.isDockerHub = DOCKER_HUB_NAMES.includes(url.hostname);
    const names = new Set([url.host, url.hostname, ...(config.aliases ?? [])]);
    if (this.isDockerHub) for (const name of DOCKER_HUB_NAMES) names.add(name);
    this.names = [...names];
    this.validityMs = (config.cache_validity_hours ?? 24) * 3_600_000;
    this.stats = {
      url: this.url,
      hits: 0,
      misses: 0,
      revalidations: 0,
      staleServed: 0,
      bytesFromCache: 0,
      bytesFetched: 0,
    };
  }

  /** The name to ask this upstream for: Docker Hub's single-component names live under `library/`. */
  remoteName(name: string): string {
    return this.isDockerHub && !name.includes('/') ? `library/${name}` : name;
  }
}

/** Where a repository's content may come from. */
export interface Route {
  /** Upstreams to try, in order, with the name each knows the repository by. */
  readonly targets: readonly { readonly upstream: Upstream; readonly name: string }[];
  /** The `ns` value that selected the upstream, echoed as `OCI-Namespace`. */
  readonly namespace?: string;
  /** Why no upstream may be contacted (an unconfigured host prefix or `ns`). */
  readonly refused?: string;
}

export interface UpstreamSetOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly agent?: { http?: HttpAgent; https?: HttpsAgent };
  /** Builds the client of one upstream (HTTP by default). */
  readonly createClient?: (
    config: ProxyUpstreamConfig,
    onRateLimit: (value: string) => void,
  ) => UpstreamClient;
}

/**
 * The ordered upstreams. Plain names go to every upstream in order (first hit wins); a name whose
 * first component is a configured host (`docker.io/library/alpine`) or an `ns` parameter selects
 * one upstream; an unconfigured host is refused and never contacted.
 */
export class UpstreamSet {
  readonly upstreams: readonly Upstream[];

  constructor(configs: readonly ProxyUpstreamConfig[], options: UpstreamSetOptions) {
    this.upstreams = configs.map((config) => {
      let upstream: Upstream | undefined;
      const onRateLimit = (value: string) => {
        if (upstream) upstream.stats.rateLimitRemaining = value;
      };
      const client =
        options.createClient?.(config, onRateLimit) ??
        new HttpUpstreamClient({
          url: config.url,
          username: config.username,
          password: config.password,
          insecure: config.insecure,
          logger: options.logger,
          clock: options.clock,
          agent: options.agent,
          onRateLimit,
        });
      upstream = new Upstream(config, client);
      return upstream;
    });
  }

  byName(host: string): Upstream | undefined {
    return this.upstreams.find((upstream) => upstream.names.includes(host));
  }

  byUrl(url: string): Upstream | undefined {
    return this.upstreams.find((upstream) => upstream.url === url);
  }

  route(name: string, ns?: string): Route {
    if (ns !== undefined) {
      const upstream = this.byName(ns);
      if (!upstream) return { targets: [], namespace: ns, refused: `upstream ${ns} is not configured` };
      const remote = name.startsWith(`${ns}/`) ? name.slice(ns.length + 1) : name;
      return { targets: [{ upstream, name: upstream.remoteName(remote) }], namespace: ns };
    }
    const slash = name.indexOf('/');
    const first = slash > 0 ? name.slice(0, slash) : undefined;
    if (first && (first.includes('.') || first === 'localhost')) {
      const upstream = this.byName(first);
      if (!upstream) return { targets: [], refused: `upstream ${first} is not configured` };
      return { targets: [{ upstream, name: upstream.remoteName(name.slice(slash + 1)) }] };
    }
    return { targets: this.upstreams.map((upstream) => ({ upstream, name: upstream.remoteName(name) })) };
  }
}
