import {
  type Digest,
  type DigestAlgorithm,
  type ManifestPutResult,
  type ManifestStore,
  ManifestUnknownError,
  type Repository,
  type StoredManifest,
} from '@glci/registry';
import { ProxyManifestUnknownError, upstreamFailure } from './errors.js';
import { manifestReferences } from './manifest-references.js';
import type { ProxyContext, RequestScope } from './proxy-context.js';
import { UpstreamRequestError } from './upstream-client.js';

/**
 * Manifests by digest: the local store first (pushed content wins), then the proxy's cache, then
 * the upstreams in order, one fetch per digest however many clients ask. Content by digest is
 * immutable, so once cached it is served with no upstream request, ever. Pushes go to the local
 * store, and what they reference is protected from eviction.
 */
export class ProxyManifestStore implements ManifestStore {
  constructor(
    private readonly context: ProxyContext,
    private readonly scope: RequestScope,
    private readonly local: Repository,
  ) {}

  async exists(digest: Digest): Promise<boolean> {
    if (await this.local.manifests.exists(digest)) return true;
    try {
      await this.get(digest);
      return true;
    } catch (error) {
      if (error instanceof ManifestUnknownError) return false;
      throw error;
    }
  }

  async get(digest: Digest): Promise<StoredManifest> {
    const { context } = this;
    if (context.isPromoted(this.local.name, String(digest))) {
      try {
        const stored = await this.local.manifests.get(digest);
        this.#countHit(String(digest), stored.content.byteLength);
        return stored;
      } catch (error) {
        if (!(error instanceof ManifestUnknownError)) throw error;
      }
    }
    // Content by digest is the same wherever it is stored, so the cache is read first when it
    // knows the digest (one read instead of a failed manifest lookup first).
    const cached = await context.cachedManifest(this.local, digest);
    if (cached) {
      this.#countHit(String(digest), cached.content.byteLength);
      return { descriptor: cached.descriptor, content: cached.content };
    }
    try {
      return await this.local.manifests.get(digest);
    } catch (error) {
      if (!(error instanceof ManifestUnknownError)) throw error;
    }
    const fetched = await this.fetch(digest);
    return { descriptor: fetched.descriptor, content: fetched.content };
  }

  #countHit(digest: string, bytes: number): void {
    const { context } = this;
    const entry = context.index.touch(digest, context.now());
    const upstream = entry && context.upstreams.byUrl(entry.upstream);
    if (upstream) {
      upstream.stats.hits += 1;
      upstream.stats.bytesFromCache += bytes;
    }
  }

  /** Fetches a manifest by digest from the upstreams (one request however many ask) and caches it. */
  fetch(digest: Digest) {
    const { context, scope, local } = this;
    return context.manifestFlights.run(`${scope.name}@${String(digest)}`, async () => {
      const failures: UpstreamRequestError[] = [];
      const tried: string[] = [];
      for (const target of scope.targets(context.index.origin(scope.name))) {
        tried.push(target.upstream.url);
        try {
          const manifest = await target.upstream.client.getManifest(target.name, String(digest));
          if (!manifest) continue;
          target.upstream.stats.misses += 1;
          await context.cacheManifest(local, target.upstream, manifest);
          return { ...manifest, upstream: target.upstream };
        } catch (error) {
          if (!(error instanceof UpstreamRequestError)) throw error;
          context.recordFailure(target.upstream, error, scope.name);
          if (error.meansAbsent)
            tried[tried.length - 1] += ` (refused access: ${error.status ?? error.kind})`;
          else failures.push(error);
        }
      }
      if (failures.length > 0) throw upstreamFailure(failures, `manifest ${String(digest)} of ${scope.name}`);
      throw new ProxyManifestUnknownError(String(digest), scope.name, tried);
    });
  }

  async put(
    content: Uint8Array,
    mediaType: string,
    options?: { digestAlgorithm?: DigestAlgorithm; tags?: readonly string[] },
  ): Promise<ManifestPutResult> {
    const result = await this.local.manifests.put(content, mediaType, options);
    // A pushed tag is the repository's own from now on, no longer the upstream's cached one.
    for (const tag of options?.tags ?? []) this.context.index.dropTag(this.scope.name, tag);
    this.context.index.protect(this.local.name, [
      String(result.descriptor.digest),
      ...manifestReferences(content),
    ]);
    return result;
  }

  async delete(digest: Digest): Promise<void> {
    const entry = this.context.index.entry(String(digest));
    if (entry?.kind === 'manifest' && entry.repositories.has(this.local.name)) {
      await this.local.blobs.delete(digest);
      this.context.index.remove(String(digest));
      return;
    }
    await this.local.manifests.delete(digest);
  }
}
