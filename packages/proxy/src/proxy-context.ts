import type { Logger } from '@glci/config';
import {
  BlobUnknownError,
  type Descriptor,
  ManifestUnknownError,
  type Namespace,
  parseDigest,
  type Repository,
  type StorageDriver,
} from '@glci/registry';
import { type CachedEntry, CacheIndex } from './cache-index.js';
import type { Clock } from './clock.js';
import { UpstreamNotConfiguredError } from './errors.js';
import { Inflight } from './inflight.js';
import { manifestReferences } from './manifest-references.js';
import { ProxyStateStore } from './proxy-state.js';
import type { ReferrersLookup } from './referrers-lookup.js';
import type { SharedDownload } from './shared-download.js';
import type { UpstreamManifest, UpstreamRequestError } from './upstream-client.js';
import type { Route, Upstream, UpstreamSet } from './upstream-set.js';

export interface CacheOptions {
  /** Upper bound on bytes the proxy keeps cached; least recently used images go first. */
  readonly maxBytes?: number;
  /** Cached content not read for this long is removed. */
  readonly unusedExpiryMs?: number;
  /** How long a blob download may take before the cache write is abandoned (default 30 min). */
  readonly writeTimeoutMs?: number;
  /**
   * Where in-flight downloads are buffered for readers when the local store is not a filesystem
   * (default the OS temp directory); a filesystem store stages them in its own temporary directory.
   */
  readonly tempDirectory?: string;
  /**
   * Where the cache index (`/proxy/cache-index.json`) and the per-upstream counters
   * (`/proxy/upstream-stats.json`) are saved, normally the registry's own storage driver; without
   * it both live in memory only.
   */
  readonly stateDriver?: StorageDriver;
  /** How often a changed index and changed counters are saved (default 5 s). */
  readonly stateSaveIntervalMs?: number;
}

/** State shared by every repository handle of one proxy namespace: nothing lives at module level. */
export class ProxyContext {
  readonly index = new CacheIndex();
  /** Tag resolutions and revalidations in flight, by `repository\ntag`. */
  readonly tagFlights = new Inflight<string, Descriptor>();
  /** Manifest fetches by digest in flight, by `repository@digest`. */
  readonly manifestFlights = new Inflight<string, UpstreamManifest & { upstream: Upstream }>();
  /** Upstream tag lists in flight, by repository. */
  readonly tagListFlights = new Inflight<string, readonly string[] | undefined>();
  /** Upstream referrers lookups in flight, by `repository\nsubject`. */
  readonly referrerFlights = new Inflight<string, ReferrersLookup>();
  /** Blob downloads, by digest, held until committed so late readers can join them. */
  readonly downloads = new Inflight<string, SharedDownload>();
  #evicting: Promise<void> = Promise.resolve();
  /** Fetched manifests whose store write has not finished, by `repository@digest`. */
  readonly #pendingManifests = new Map<string, Uint8Array>();
  readonly #storing = new Set<Promise<void>>();
  /** `repository@digest` of cached manifests also stored in the manifest store (served from there). */
  readonly #promoted = new Set<string>();
  /** Resolves once a saved index and saved counters (if any) are loaded. */
  readonly ready: Promise<void>;
  readonly #state: ProxyStateStore | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly local: Namespace,
    readonly upstreams: UpstreamSet,
    readonly logger: Logger,
    readonly clock: Clock,
    readonly cache: CacheOptions,
  ) {
    this.#state = cache.stateDriver
      ? new ProxyStateStore(cache.stateDriver, this.index, upstreams, logger, clock)
      : undefined;
    this.ready = this.#state?.load() ?? Promise.resolve();
    if (cache.stateDriver) {
      this.#timer = setInterval(() => void this.save(), cache.stateSaveIntervalMs ?? 5000);
      this.#timer.unref();
    }
    if (cache.unusedExpiryMs !== undefined) {
      // Unused entries expire even when nothing new is cached to trigger an eviction pass.
      const every = Math.max(1000, Math.min(cache.unusedExpiryMs / 4, 10 * 60_000));
      this.#expiryTimer = setInterval(() => this.scheduleEviction(), every);
      this.#expiryTimer.unref();
    }
  }

  /** Saves the index and the counters when they changed since the last save (never concurrently). */
  save(): Promise<void> {
    return this.#state?.save() ?? Promise.resolve();
  }

  /** Stops the save timer and saves a last time. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#expiryTimer) clearInterval(this.#expiryTimer);
    await this.settled();
    await this.save();
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Indexes upstream manifest bytes at once and stores them in `repository` in the background: the
   * client's answer does not wait for the store's write (and fsync); until it lands, reads are
   * served from memory. A failed write forgets the entry (the next request fetches it again).
   */
  async cacheManifest(repository: Repository, upstream: Upstream, manifest: UpstreamManifest): Promise<void> {
    const digest = String(manifest.descriptor.digest);
    const key = `${repository.name}@${digest}`;
    this.#pendingManifests.set(key, manifest.content);
    this.index.add(
      {
        kind: 'manifest',
        digest,
        size: manifest.content.byteLength,
        upstream: upstream.url,
        mediaType: manifest.descriptor.mediaType,
        references: manifestReferences(manifest.content),
      },
      repository.name,
      this.now(),
    );
    this.index.setOrigin(repository.name, upstream.url);
    upstream.stats.bytesFetched += manifest.content.byteLength;
    const storing: Promise<void> = repository.blobs
      .put(manifest.descriptor.mediaType, manifest.content)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.logger.warn('could not store a fetched manifest', {
          repo: repository.name,
          digest,
          error: String(error),
        });
        this.index.remove(digest);
      })
      .finally(() => {
        this.#pendingManifests.delete(key);
        this.scheduleEviction();
      })
      .then(() => this.promote(repository, digest))
      .catch(() => {});
    this.track(storing);
  }

  /** Whether a cached manifest is also in `repository`'s manifest store (the faster read). */
  isPromoted(repository: string, digest: string): boolean {
    return this.#promoted.has(`${repository}@${digest}`);
  }

  /** Reads cached manifest bytes; `undefined` (and the entry forgotten) when the store lost them. */
  async cachedManifest(repository: Repository, digest: Descriptor['digest']) {
    const entry = this.index.entry(String(digest));
    if (entry?.kind !== 'manifest') return undefined;
    const pending = this.#pendingManifests.get(`${repository.name}@${String(digest)}`);
    if (pending) {
      return {
        descriptor: { mediaType: entry.mediaType, digest, size: pending.byteLength },
        content: pending,
        entry,
      };
    }
    try {
      const content = await repository.blobs.get(digest);
      return { descriptor: { mediaType: entry.mediaType, digest, size: content.byteLength }, content, entry };
    } catch (error) {
      if (!(error instanceof BlobUnknownError)) throw error;
    }
    try {
      // Promoted into the manifest store (and its blob link collected by GC since).
      const stored = await repository.manifests.get(digest);
      return { descriptor: stored.descriptor, content: stored.content, entry };
    } catch (error) {
      if (!(error instanceof ManifestUnknownError)) throw error;
      if (entry.repositories.has(repository.name)) this.index.remove(String(digest));
      return undefined;
    }
  }

  /** Records that a stale copy was served because `failure` happened, for the response and the log. */
  serveStale(scope: RequestScope, upstream: Upstream, failure: UpstreamRequestError, what: string): void {
    upstream.stats.staleServed += 1;
    upstream.stats.lastError = failure.message;
    const text = `glci proxy: upstream ${upstream.url} failed (${failure.kind}${failure.status ? ` ${failure.status}` : ''}); serving the cached copy of ${what}`;
    scope.warnings.push(`299 - ${JSON.stringify(text)}`);
    this.logger.warn('upstream failed; serving cached copy', {
      upstream: upstream.url,
      repo: scope.name,
      what,
      kind: failure.kind,
      status: failure.status,
    });
  }

  recordFailure(upstream: Upstream, failure: UpstreamRequestError, repo: string): void {
    upstream.stats.lastError = failure.message;
    this.logger.warn('upstream request failed', {
      upstream: upstream.url,
      repo,
      kind: failure.kind,
      status: failure.status,
      error: failure.message,
    });
  }

  /** Runs eviction after the current one, never concurrently. */
  scheduleEviction(): void {
    if (this.cache.maxBytes === undefined && this.cache.unusedExpiryMs === undefined) return;
    this.#evicting = this.#evicting
      .then(async () => {
        await this.evict();
      })
      .catch((error) => {
        this.logger.warn('cache eviction failed', { error: String(error) });
      });
  }

  /** Removes what the size bound and unused expiry ask for; returns the digests removed. */
  async evict(): Promise<string[]> {
    const plan = this.index.plan({
      maxBytes: this.cache.maxBytes,
      unusedExpiryMs: this.cache.unusedExpiryMs,
      now: this.now(),
    });
    const removed: string[] = [];
    for (const { entry, reason } of plan) {
      const digest = parseDigest(entry.digest);
      for (const name of entry.repositories) {
        const repository = await this.local.repository(name);
        if (entry.kind === 'manifest' && (await repository.manifests.exists(digest))) {
          // A promoted manifest goes too, unless something here tags it.
          const tags = await repository.tags.lookup(digest).catch(() => []);
          if (tags.length === 0) await repository.manifests.delete(digest).catch(ignoreUnknown);
        }
        await repository.blobs.delete(digest).catch(ignoreUnknown);
      }
      this.index.remove(entry.digest);
      removed.push(entry.digest);
      this.logger.info('evicted cached content', { digest: entry.digest, size: entry.size, reason });
    }
    return removed;
  }

  /**
   * Puts cached manifests of `repository` that are complete here (every blob stored, every child
   * manifest put) into the manifest store, children first, so the registry's GC sees their content
   * as referenced. `changed` is a digest that just arrived; manifests referencing it are checked.
   */
  async promote(repository: Repository, changed: string): Promise<void> {
    const queue = [changed];
    const seen = new Set<string>();
    for (let digest = queue.shift(); digest !== undefined; digest = queue.shift()) {
      if (seen.has(digest)) continue;
      seen.add(digest);
      const entry = this.index.entry(digest);
      if (entry?.kind === 'manifest' && entry.repositories.has(repository.name)) {
        if (!(await this.#promoteOne(repository, entry))) continue;
      }
      for (const parent of this.index.referencing(digest)) queue.push(parent);
    }
  }

  async #promoteOne(repository: Repository, entry: CachedEntry): Promise<boolean> {
    const digest = parseDigest(entry.digest);
    try {
      if (await repository.manifests.exists(digest)) {
        this.#promoted.add(`${repository.name}@${entry.digest}`);
        return true;
      }
      for (const reference of entry.references) {
        const child = this.index.entry(reference);
        const parsed = parseDigest(reference);
        const present =
          child?.kind === 'manifest'
            ? await repository.manifests.exists(parsed)
            : await repository.blobs.stat(parsed).then(
                () => true,
                () => false,
              );
        if (!present) return false;
      }
      const cached = await this.cachedManifest(repository, digest);
      if (!cached) return false;
      await repository.manifests.put(cached.content, entry.mediaType);
      this.#promoted.add(`${repository.name}@${entry.digest}`);
      this.logger.debug('cached manifest complete; stored as a manifest', {
        repo: repository.name,
        digest: entry.digest,
      });
      return true;
    } catch (error) {
      this.logger.warn('could not store a complete cached manifest', {
        repo: repository.name,
        digest: entry.digest,
        error: String(error),
      });
      return false;
    }
  }

  /** Waits for background manifest writes and scheduled eviction (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#storing.size > 0) await Promise.allSettled([...this.#storing]);
    await this.#evicting;
  }

  /** Keeps background work (cache writes, promotion) in view of `settled()`. */
  track(work: Promise<unknown>): void {
    const tracked: Promise<void> = work.then(
      () => undefined,
      () => undefined,
    );
    this.#storing.add(tracked);
    void tracked.finally(() => this.#storing.delete(tracked));
  }
}

/** One `repository()` handle: the route for its name and what the response must carry. */
export class RequestScope {
  /** `Warning` header values (`299 - "…"`) to send with the response. */
  readonly warnings: string[] = [];

  constructor(
    readonly name: string,
    readonly route: Route,
  ) {}

  /** Targets in order, with the upstream that served this repository before moved to the front. */
  targets(preferred?: string): Route['targets'] {
    if (this.route.refused) throw new UpstreamNotConfiguredError(this.name, this.route.refused);
    if (!preferred) return this.route.targets;
    const first = this.route.targets.filter((target) => target.upstream.url === preferred);
    return [...first, ...this.route.targets.filter((target) => target.upstream.url !== preferred)];
  }
}

function ignoreUnknown(error: unknown): void {
  if (!(error instanceof BlobUnknownError) && !(error instanceof ManifestUnknownError)) throw error;
}
