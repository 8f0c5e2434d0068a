import {
  type Descriptor,
  type Digest,
  NameUnknownError,
  parseDigest,
  type ReferrersStore,
  type Repository,
} from '@glci/registry';
import type { CachedReferrer, CachedReferrers } from './cache-index.js';
import { upstreamFailure } from './errors.js';
import type { ProxyContext, RequestScope } from './proxy-context.js';
import type { ReferrersLookup } from './referrers-lookup.js';
import { UpstreamRequestError } from './upstream-client.js';
import type { Upstream } from './upstream-set.js';

/**
 * Referrers (`GET /v2/<name>/referrers/<digest>`): the local referrers merged with the upstream's,
 * local winning on the same digest. The upstream's come from its OCI 1.1 referrers API or, on
 * registries without it, from the referrers tag (`sha256-<hex>`), and are cached like tags: inside
 * the upstream's validity window they are served with no upstream request; when the upstream then
 * fails (down, timeout, 5xx, 429) the cached list is served with a `Warning`. A subject pushed
 * here (not cached from an upstream) has local referrers only, asked of no upstream.
 *
 * The upstream list is cached unfiltered; `artifactType` is applied to the merged list, so the
 * registry's handler answers `OCI-Filters-Applied: artifactType` truthfully.
 */
export class ProxyReferrersStore implements ReferrersStore {
  constructor(
    private readonly context: ProxyContext,
    private readonly scope: RequestScope,
    private readonly local: Repository,
  ) {}

  async list(subject: Digest, options: { artifactType?: string } = {}): Promise<Descriptor[]> {
    const merged = new Map<string, Descriptor>();
    for (const referrer of await this.#upstreamReferrers(subject)) {
      merged.set(referrer.digest, { ...referrer, digest: parseDigest(referrer.digest) });
    }
    for (const referrer of await this.#localReferrers(subject)) merged.set(String(referrer.digest), referrer);
    return [...merged.values()]
      .filter(
        (referrer) => options.artifactType === undefined || referrer.artifactType === options.artifactType,
      )
      .sort((a, b) => compareText(String(a.digest), String(b.digest)));
  }

  async #localReferrers(subject: Digest): Promise<Descriptor[]> {
    try {
      return await this.local.referrers.list(subject);
    } catch (error) {
      if (error instanceof NameUnknownError) return [];
      throw error;
    }
  }

  async #upstreamReferrers(subject: Digest): Promise<readonly CachedReferrer[]> {
    const context = this.context;
    const scope = this.scope;
    if (scope.route.refused) return [];
    const key = String(subject);
    const entry = context.index.entry(key);
    // A subject pushed here: its referrers are pushed here too (local content wins).
    if (!entry && (await this.local.manifests.exists(subject))) return [];
    const cached = context.index.referrers(scope.name, key);
    const cachedUpstream = cached && context.upstreams.byUrl(cached.upstream);
    if (cached && cachedUpstream && context.now() - cached.fetchedAt < cachedUpstream.validityMs) {
      cachedUpstream.stats.hits += 1;
      return cached.descriptors;
    }
    const lookup = await context.referrerFlights.run(`${scope.name}\n${key}`, () =>
      this.#fetch(key, entry?.upstream, cached),
    );
    if (lookup.stale) {
      context.serveStale(scope, lookup.stale.upstream, lookup.stale.failure, `the referrers of ${key}`);
    }
    return lookup.descriptors;
  }

  /**
   * Asks the upstream the subject was cached from, or (subject not cached) every upstream in order
   * until one knows referrers of it; stores the answer, even an empty one, for the validity window.
   */
  async #fetch(
    subject: string,
    from: string | undefined,
    cached: CachedReferrers | undefined,
  ): Promise<ReferrersLookup> {
    const context = this.context;
    const scope = this.scope;
    const targets = scope.targets(from ?? cached?.upstream ?? context.index.origin(scope.name));
    const pinned = from === undefined ? [] : targets.filter((target) => target.upstream.url === from);
    const failures: UpstreamRequestError[] = [];
    let answered: { upstream: Upstream; descriptors: readonly CachedReferrer[] } | undefined;
    for (const target of pinned.length > 0 ? pinned : targets) {
      try {
        const answer = await target.upstream.client.getReferrers(target.name, subject);
        if (!answer) continue;
        target.upstream.stats.bytesFetched += answer.bytes;
        const descriptors = answer.descriptors.map(toCached);
        answered ??= { upstream: target.upstream, descriptors };
        if (descriptors.length > 0) {
          answered = { upstream: target.upstream, descriptors };
          break;
        }
      } catch (error) {
        if (!(error instanceof UpstreamRequestError)) throw error;
        context.recordFailure(target.upstream, error, scope.name);
        if (!error.meansAbsent) failures.push(error);
      }
    }
    if (failures.length > 0 && !(answered && answered.descriptors.length > 0)) {
      const upstream = cached && context.upstreams.byUrl(cached.upstream);
      if (cached && upstream && failures.every((failure) => failure.allowsStale)) {
        return { descriptors: cached.descriptors, stale: { upstream, failure: failures[0]! } };
      }
      throw upstreamFailure(failures, `referrers of ${subject} in ${scope.name}`);
    }
    const upstream = answered?.upstream ?? (pinned[0] ?? targets[0])?.upstream;
    if (!upstream) return { descriptors: [] };
    upstream.stats.misses += 1;
    const descriptors = answered?.descriptors ?? [];
    context.index.setReferrers(scope.name, subject, {
      descriptors,
      fetchedAt: context.now(),
      upstream: upstream.url,
    });
    return { descriptors };
  }
}

function toCached(descriptor: Descriptor): CachedReferrer {
  return { ...descriptor, digest: String(descriptor.digest) };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
