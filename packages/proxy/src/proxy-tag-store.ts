import {
  type Descriptor,
  type Digest,
  ManifestUnknownError,
  NameUnknownError,
  parseDigest,
  type Repository,
  type TagStore,
} from '@glci/registry';
import type { CachedTag } from './cache-index.js';
import { ProxyManifestUnknownError, upstreamFailure } from './errors.js';
import type { ProxyContext, RequestScope } from './proxy-context.js';
import { UpstreamRequestError } from './upstream-client.js';
import type { Upstream } from './upstream-set.js';

/**
 * Tags. A locally pushed tag always wins. A cached tag is served with no upstream request inside
 * its upstream's validity window; after it, one HEAD revalidates it (Docker Hub does not count
 * HEADs) and the manifest is fetched again only when the digest changed. A miss asks the upstreams
 * in order and the first that has the tag wins. When the upstream is down, slow, failing or
 * rate-limiting, the cached tag is served with a `Warning`.
 *
 * Tag lists are the upstream's list (cached for the validity window) merged with local tags.
 */
export class ProxyTagStore implements TagStore {
  constructor(
    private readonly context: ProxyContext,
    private readonly scope: RequestScope,
    private readonly local: Repository,
  ) {}

  async resolve(tag: string): Promise<Descriptor> {
    if (!this.context.index.tag(this.scope.name, tag)) {
      try {
        return await this.local.tags.resolve(tag);
      } catch (error) {
        if (!(error instanceof ManifestUnknownError) && !(error instanceof NameUnknownError)) throw error;
      }
    }
    return await this.context.tagFlights.run(`${this.scope.name}\n${tag}`, () => this.#resolveProxied(tag));
  }

  async #resolveProxied(tag: string): Promise<Descriptor> {
    const { context, scope } = this;
    const cached = context.index.tag(scope.name, tag);
    const cachedUpstream = cached ? context.upstreams.byUrl(cached.upstream) : undefined;
    const target = cachedUpstream && scope.route.targets.find((t) => t.upstream === cachedUpstream);
    if (cached && cachedUpstream && target && context.index.entry(cached.digest)) {
      const descriptor = toDescriptor(cached);
      if (context.now() - cached.checkedAt < cachedUpstream.validityMs) {
        cachedUpstream.stats.hits += 1;
        context.index.touch(cached.digest, context.now());
        return descriptor;
      }
      cachedUpstream.stats.revalidations += 1;
      let head: Descriptor | undefined;
      try {
        head = await cachedUpstream.client.headManifest(target.name, tag);
      } catch (error) {
        if (!(error instanceof UpstreamRequestError)) throw error;
        // A HEAD without a digest falls through to a GET; any other failure serves the cached copy.
        if (error.kind !== 'invalid') {
          context.serveStale(scope, cachedUpstream, error, `${scope.name}:${tag}`);
          return descriptor;
        }
      }
      if (head && String(head.digest) === cached.digest) {
        cached.checkedAt = context.now();
        context.index.revision += 1;
        context.index.touch(cached.digest, context.now());
        return descriptor;
      }
      // Changed (or the HEAD could not tell): fetch it again from the same upstream.
      try {
        const fetched = await this.#fetchFrom(cachedUpstream, target.name, tag);
        if (fetched) return fetched;
      } catch (error) {
        if (error instanceof UpstreamRequestError && error.allowsStale) {
          context.serveStale(scope, cachedUpstream, error, `${scope.name}:${tag}`);
          return descriptor;
        }
        throw error;
      }
      // Gone from that upstream: forget it and look again everywhere.
      context.index.dropTag(scope.name, tag);
    }
    return await this.#lookup(tag, cached);
  }

  /** Asks every upstream in order; the first that has the tag wins. */
  async #lookup(tag: string, stale: CachedTag | undefined): Promise<Descriptor> {
    const { context, scope } = this;
    const failures: UpstreamRequestError[] = [];
    const tried: string[] = [];
    for (const target of scope.targets()) {
      tried.push(target.upstream.url);
      try {
        const found = await this.#fetchFrom(target.upstream, target.name, tag);
        if (found) return found;
      } catch (error) {
        if (!(error instanceof UpstreamRequestError)) throw error;
        context.recordFailure(target.upstream, error, scope.name);
        if (error.meansAbsent) tried[tried.length - 1] += ` (refused access: ${error.status ?? error.kind})`;
        else failures.push(error);
      }
    }
    if (failures.length > 0) {
      const upstream = stale && context.upstreams.byUrl(stale.upstream);
      if (stale && upstream && context.index.entry(stale.digest) && failures.every((f) => f.allowsStale)) {
        context.serveStale(scope, upstream, failures[0]!, `${scope.name}:${tag}`);
        return toDescriptor(stale);
      }
      throw upstreamFailure(failures, `tag ${tag} of ${scope.name}`);
    }
    throw new ProxyManifestUnknownError(tag, scope.name, tried);
  }

  /** GETs the tag's manifest from one upstream and caches it; `undefined` when it has none. */
  async #fetchFrom(upstream: Upstream, name: string, tag: string): Promise<Descriptor | undefined> {
    const { context, scope } = this;
    const manifest = await upstream.client.getManifest(name, tag);
    if (!manifest) return undefined;
    upstream.stats.misses += 1;
    await context.cacheManifest(this.local, upstream, manifest);
    const descriptor = manifest.descriptor;
    context.index.setTag(scope.name, tag, {
      digest: String(descriptor.digest),
      mediaType: descriptor.mediaType,
      size: descriptor.size,
      upstream: upstream.url,
      checkedAt: context.now(),
    });
    return descriptor;
  }

  async tag(tag: string, descriptor: Descriptor): Promise<void> {
    await this.local.tags.tag(tag, descriptor);
    this.context.index.dropTag(this.scope.name, tag);
  }

  async untag(tag: string): Promise<void> {
    if (this.context.index.tag(this.scope.name, tag)) {
      this.context.index.dropTag(this.scope.name, tag);
      await this.local.tags.untag(tag).catch((error: unknown) => {
        if (!(error instanceof ManifestUnknownError) && !(error instanceof NameUnknownError)) throw error;
      });
      return;
    }
    await this.local.tags.untag(tag);
  }

  async list(options: { last?: string; n?: number } = {}): Promise<{ tags: string[]; more: boolean }> {
    let localTags: string[] | undefined;
    try {
      localTags = await allLocalTags(this.local);
    } catch (error) {
      if (!(error instanceof NameUnknownError)) throw error;
    }
    const upstreamTags = this.scope.route.refused ? undefined : await this.#upstreamTags();
    if (
      localTags === undefined &&
      upstreamTags === undefined &&
      this.context.index.tagsOf(this.scope.name).length === 0
    ) {
      throw new NameUnknownError(this.scope.name);
    }
    const merged = [
      ...new Set([
        ...(localTags ?? []),
        ...(upstreamTags ?? []),
        ...this.context.index.tagsOf(this.scope.name),
      ]),
    ].sort(compareText);
    const after =
      options.last === undefined ? merged : merged.filter((tag) => compareText(tag, options.last!) > 0);
    const n = options.n ?? after.length;
    return { tags: after.slice(0, n), more: after.length > n };
  }

  async lookup(digest: Digest): Promise<string[]> {
    let local: string[] = [];
    try {
      local = await this.local.tags.lookup(digest);
    } catch (error) {
      if (!(error instanceof NameUnknownError)) throw error;
    }
    return [...new Set([...local, ...this.context.index.tagsOf(this.scope.name, String(digest))])].sort(
      compareText,
    );
  }

  /** The upstream's tag list, cached for its validity window; stale (with a Warning) when it fails. */
  async #upstreamTags(): Promise<readonly string[] | undefined> {
    const { context, scope } = this;
    const cached = context.index.tagList(scope.name);
    const cachedUpstream = cached && context.upstreams.byUrl(cached.upstream);
    if (cached && cachedUpstream && context.now() - cached.fetchedAt < cachedUpstream.validityMs) {
      cachedUpstream.stats.hits += 1;
      return cached.tags;
    }
    return await context.tagListFlights.run(scope.name, async () => {
      const failures: UpstreamRequestError[] = [];
      for (const target of scope.targets(context.index.origin(scope.name))) {
        try {
          const tags = await target.upstream.client.listTags(target.name);
          if (tags === undefined) continue;
          target.upstream.stats.misses += 1;
          context.index.setTagList(scope.name, {
            tags,
            fetchedAt: context.now(),
            upstream: target.upstream.url,
          });
          return tags;
        } catch (error) {
          if (!(error instanceof UpstreamRequestError)) throw error;
          context.recordFailure(target.upstream, error, scope.name);
          if (!error.meansAbsent) failures.push(error);
        }
      }
      const first = failures[0];
      if (first) {
        const upstream = context.upstreams.byUrl(first.upstream) ?? scope.route.targets[0]!.upstream;
        context.serveStale(scope, upstream, first, `the tag list of ${scope.name}`);
        return cached?.tags ?? [];
      }
      return undefined;
    });
  }
}

function toDescriptor(tag: CachedTag): Descriptor {
  return { mediaType: tag.mediaType, digest: parseDigest(tag.digest), size: tag.size };
}

async function allLocalTags(repository: Repository): Promise<string[]> {
  const tags: string[] = [];
  let last: string | undefined;
  for (;;) {
    const page = await repository.tags.list({ last, n: 1000 });
    tags.push(...page.tags);
    if (!page.more || page.tags.length === 0) return tags;
    last = page.tags[page.tags.length - 1];
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
