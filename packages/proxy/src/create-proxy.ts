import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger } from '@glci/config';
import type { Digest, Namespace, Repository } from '@glci/registry';
import { type CacheRootsProvider, cacheRoots } from './cache-roots.js';
import { type Clock, systemClock } from './clock.js';
import { ProxyBlobStore } from './proxy-blob-store.js';
import { type CacheOptions, ProxyContext, RequestScope } from './proxy-context.js';
import { ProxyManifestStore } from './proxy-manifest-store.js';
import { ProxyReferrersStore } from './proxy-referrers-store.js';
import { ProxyTagStore } from './proxy-tag-store.js';
import type { UpstreamClient } from './upstream-client.js';
import { type ProxyUpstreamConfig, UpstreamSet, type UpstreamStats } from './upstream-set.js';

export interface ProxyNamespaceOptions {
  /** The registry's own namespace: where pushes land and where cached content is stored. */
  readonly local: Namespace;
  /** Upstreams in priority order. */
  readonly upstreams: readonly ProxyUpstreamConfig[];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** HTTP(S) agents for upstream connections (proxies, keep-alive tuning). */
  readonly agent?: { http?: HttpAgent; https?: HttpsAgent };
  /** Replaces the HTTP client of each upstream (embedding; tests use the real one). */
  readonly createClient?: (
    config: ProxyUpstreamConfig,
    onRateLimit: (value: string) => void,
  ) => UpstreamClient;
  readonly cache?: CacheOptions;
}

/** A repository handle from the proxy: a `Repository` plus what its response must carry. */
export interface ProxyRepository extends Repository {
  /** `Warning` header values (`299 - "…"`), filled when a stale copy was served. */
  readonly warnings: readonly string[];
  /** The `ns` value that chose the upstream, to echo as `OCI-Namespace`. */
  readonly ociNamespace?: string;
}

export interface ProxyStats {
  readonly upstreams: readonly UpstreamStats[];
  readonly cache: {
    readonly bytes: number;
    readonly maxBytes?: number;
    readonly unusedExpiryMs?: number;
    readonly downloadsInFlight: number;
  };
}

export interface ProxyNamespace extends Namespace {
  /**
   * A repository handle. `options.namespace` is the request's `ns` query parameter, when present.
   * Take one handle per request: its `warnings` belong to that request.
   */
  repository(name: string, options?: { namespace?: string }): Promise<ProxyRepository>;
  /** Counters per upstream and the cache's size, for `glci registry stats` and `/metrics`. */
  stats(): ProxyStats;
  /** Applies the size bound and unused expiry now; returns the digests removed. */
  evict(): Promise<string[]>;
  /**
   * Roots for the registry's GC (`garbageCollect(local, { extraRoots: proxy.gcRoots() })`) from the
   * live cache index: what is cached is never collected. `savedCacheRoots(driver)` reads the
   * saved index instead, for a GC run outside the proxy's process.
   */
  gcRoots(): CacheRootsProvider;
  /**
   * Forgets what the cache holds for these repositories (tags, tag lists, entries no other
   * repository holds) and saves the index; the next GC with `gcRoots()` collects the content.
   * Returns how many manifests and blobs were dropped from the index.
   */
  forgetRepositories(names: readonly string[]): Promise<number>;
  /** Saves the cache index now (when a `cache.stateDriver` is set). */
  flush(): Promise<void>;
  /**
   * Resolves once the cache writes in flight are done: downloads committed and indexed, manifests
   * stored. A client gets its last byte before then, so tests and embedders that inspect the store
   * or `stats().cache` right after a pull wait for this first.
   */
  settled(): Promise<void>;
  /** Stops the save timer and saves the index a last time. */
  close(): Promise<void>;
}

/**
 * A `Namespace` decorator that serves a pull-through cache over ordered upstreams on top of any
 * local namespace (any storage driver). See the package README for the guarantees.
 */
export function createProxyNamespace(options: ProxyNamespaceOptions): ProxyNamespace {
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ module: 'proxy' });
  const upstreams = new UpstreamSet(options.upstreams, {
    logger,
    clock,
    agent: options.agent,
    createClient: options.createClient,
  });
  const context = new ProxyContext(options.local, upstreams, logger, clock, options.cache ?? {});
  const { local } = options;

  return {
    async repository(name: string, repositoryOptions: { namespace?: string } = {}): Promise<ProxyRepository> {
      await context.ready;
      const repository = await local.repository(name);
      const scope = new RequestScope(name, upstreams.route(name, repositoryOptions.namespace));
      const manifests = new ProxyManifestStore(context, scope, repository);
      return {
        name,
        blobs: new ProxyBlobStore(context, scope, repository),
        manifests,
        tags: new ProxyTagStore(context, scope, repository),
        referrers: new ProxyReferrersStore(context, scope, repository),
        warnings: scope.warnings,
        ...(scope.route.namespace !== undefined ? { ociNamespace: scope.route.namespace } : {}),
      };
    },
    async hasRepository(name: string): Promise<boolean> {
      await context.ready;
      return context.index.hasRepository(name) || (await local.hasRepository(name));
    },
    async catalog(catalogOptions: { last?: string; n?: number } = {}) {
      await context.ready;
      const names = new Set(context.index.repositories());
      let last: string | undefined;
      for (;;) {
        const page = await local.catalog({ last, n: 1000 });
        for (const name of page.repositories) names.add(name);
        if (!page.more || page.repositories.length === 0) break;
        last = page.repositories[page.repositories.length - 1];
      }
      const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const after =
        catalogOptions.last === undefined ? sorted : sorted.filter((name) => name > catalogOptions.last!);
      const n = catalogOptions.n ?? after.length;
      return { repositories: after.slice(0, n), more: after.length > n };
    },
    blobExists(digest: Digest): Promise<boolean> {
      return local.blobExists(digest);
    },
    stats(): ProxyStats {
      return {
        upstreams: upstreams.upstreams.map((upstream) => ({ ...upstream.stats })),
        cache: {
          bytes: context.index.bytes,
          maxBytes: options.cache?.maxBytes,
          unusedExpiryMs: options.cache?.unusedExpiryMs,
          downloadsInFlight: context.downloads.size,
        },
      };
    },
    async evict(): Promise<string[]> {
      await context.ready;
      await context.settled();
      return await context.evict();
    },
    gcRoots(): CacheRootsProvider {
      return async () => {
        await context.ready;
        return cacheRoots(context.index.toJSON());
      };
    },
    async settled(): Promise<void> {
      await context.ready;
      await context.settled();
    },
    async forgetRepositories(names: readonly string[]): Promise<number> {
      await context.ready;
      await context.settled();
      let dropped = 0;
      for (const name of names) dropped += context.index.forgetRepository(name).length;
      await context.save();
      return dropped;
    },
    async flush(): Promise<void> {
      await context.ready;
      await context.save();
    },
    async close(): Promise<void> {
      await context.ready;
      await context.close();
    },
  };
}
