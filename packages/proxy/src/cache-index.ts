/**
 * What the proxy knows about the content it cached: which tag pointed where and when that was last
 * checked, which manifests and blobs came from which upstream, into which repositories, how big they
 * are, what each manifest references, and when each was last read. Locally pushed content is not
 * in here (except the digests it references, which eviction must never remove).
 *
 * The index lives in memory, scoped to one proxy instance, and is saved as JSON through a storage
 * driver when the proxy is given one (`toJSON` / `restore`), so a restarted proxy still knows its
 * cached tags — and can serve them while the upstream is down.
 */
export interface CachedTag {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly upstream: string;
  checkedAt: number;
}

export interface CachedEntry {
  readonly kind: 'manifest' | 'blob';
  readonly digest: string;
  readonly size: number;
  readonly upstream: string;
  /** Media type (manifests). */
  readonly mediaType: string;
  /** Repositories the content was linked into. */
  readonly repositories: Set<string>;
  /** Digests a manifest references (children, config, layers); empty for blobs. */
  readonly references: readonly string[];
  lastAccess: number;
}

export interface CachedTagList {
  readonly tags: readonly string[];
  readonly fetchedAt: number;
  readonly upstream: string;
}

/** An upstream's referrers of one subject, as descriptors with string digests (the saved form). */
export interface CachedReferrers {
  readonly descriptors: readonly CachedReferrer[];
  readonly fetchedAt: number;
  readonly upstream: string;
}

export interface CachedReferrer {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface Eviction {
  readonly entry: CachedEntry;
  readonly reason: 'size' | 'unused';
}

/** The persisted form (version 1). */
export interface CacheIndexState {
  readonly version: 1;
  readonly tags: [string, CachedTag][];
  readonly entries: (Omit<CachedEntry, 'repositories'> & { repositories: string[] })[];
  readonly origins: [string, string][];
  readonly localReferences: [string, string[]][];
  /** `repository\nsubject` → the upstream's referrers (absent in files saved before they were kept). */
  readonly referrers?: [string, CachedReferrers][];
}

export class CacheIndex {
  /** Bumped on every change; the saver compares it with what it last wrote. */
  revision = 0;
  readonly #tags = new Map<string, CachedTag>();
  readonly #entries = new Map<string, CachedEntry>();
  readonly #tagLists = new Map<string, CachedTagList>();
  readonly #referrers = new Map<string, CachedReferrers>();
  /** repository → upstream URL that served its last manifest (blobs are asked there first). */
  readonly #origins = new Map<string, string>();
  /** repository → digests referenced by manifests pushed locally (never evicted). */
  readonly #localReferences = new Map<string, Set<string>>();
  #bytes = 0;

  get bytes(): number {
    return this.#bytes;
  }

  /** How many manifests and blobs are cached. */
  get size(): number {
    return this.#entries.size;
  }

  repositories(): string[] {
    const names = new Set<string>();
    for (const entry of this.#entries.values()) for (const name of entry.repositories) names.add(name);
    for (const key of this.#tags.keys()) names.add(key.slice(0, key.indexOf('\n')));
    return [...names];
  }

  hasRepository(name: string): boolean {
    return this.repositories().includes(name);
  }

  tag(repository: string, tag: string): CachedTag | undefined {
    return this.#tags.get(`${repository}\n${tag}`);
  }

  setTag(repository: string, tag: string, value: CachedTag): void {
    this.revision += 1;
    this.#tags.set(`${repository}\n${tag}`, value);
  }

  dropTag(repository: string, tag: string): void {
    this.revision += 1;
    this.#tags.delete(`${repository}\n${tag}`);
  }

  /** Cached tags of `repository` pointing at `digest` (or all of them). */
  tagsOf(repository: string, digest?: string): string[] {
    const prefix = `${repository}\n`;
    const found: string[] = [];
    for (const [key, value] of this.#tags) {
      if (key.startsWith(prefix) && (digest === undefined || value.digest === digest)) {
        found.push(key.slice(prefix.length));
      }
    }
    return found;
  }

  tagList(repository: string): CachedTagList | undefined {
    return this.#tagLists.get(repository);
  }

  setTagList(repository: string, value: CachedTagList): void {
    this.revision += 1;
    this.#tagLists.set(repository, value);
  }

  /** The upstream's referrers of `subject` as last fetched for `repository`. */
  referrers(repository: string, subject: string): CachedReferrers | undefined {
    return this.#referrers.get(`${repository}\n${subject}`);
  }

  setReferrers(repository: string, subject: string, value: CachedReferrers): void {
    this.revision += 1;
    this.#referrers.set(`${repository}\n${subject}`, value);
  }

  origin(repository: string): string | undefined {
    return this.#origins.get(repository);
  }

  setOrigin(repository: string, upstream: string): void {
    this.revision += 1;
    this.#origins.set(repository, upstream);
  }

  entry(digest: string): CachedEntry | undefined {
    return this.#entries.get(digest);
  }

  /** Cached manifests that reference `digest`. */
  referencing(digest: string): string[] {
    const found: string[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.kind === 'manifest' && entry.references.includes(digest)) found.push(entry.digest);
    }
    return found;
  }

  /** Records content cached into `repository` (or adds the repository to a known entry). */
  add(entry: Omit<CachedEntry, 'repositories' | 'lastAccess'>, repository: string, now: number): CachedEntry {
    this.revision += 1;
    const known = this.#entries.get(entry.digest);
    if (known) {
      known.repositories.add(repository);
      known.lastAccess = now;
      return known;
    }
    const created: CachedEntry = { ...entry, repositories: new Set([repository]), lastAccess: now };
    this.#entries.set(entry.digest, created);
    this.#bytes += entry.size;
    return created;
  }

  touch(digest: string, now: number): CachedEntry | undefined {
    this.revision += 1;
    const entry = this.#entries.get(digest);
    if (entry) entry.lastAccess = now;
    return entry;
  }

  /** Forgets an entry (evicted, or found missing from the store) and the tags pointing at it. */
  remove(digest: string): void {
    this.revision += 1;
    const entry = this.#entries.get(digest);
    if (!entry) return;
    this.#entries.delete(digest);
    this.#bytes -= entry.size;
    for (const [key, value] of this.#tags) if (value.digest === digest) this.#tags.delete(key);
  }

  /**
   * Forgets what was cached for `repository` (`glci registry clean --project`): its tags, tag list,
   * referrers, origin and local references, and its membership of every entry. An entry no other
   * repository holds is dropped, so the next GC collects its content. Returns the digests dropped.
   */
  forgetRepository(repository: string): string[] {
    this.revision += 1;
    const prefix = `${repository}\n`;
    for (const key of this.#tags.keys()) if (key.startsWith(prefix)) this.#tags.delete(key);
    for (const key of this.#referrers.keys()) if (key.startsWith(prefix)) this.#referrers.delete(key);
    this.#tagLists.delete(repository);
    this.#origins.delete(repository);
    this.#localReferences.delete(repository);
    const dropped: string[] = [];
    for (const entry of this.#entries.values()) {
      if (!entry.repositories.delete(repository) || entry.repositories.size > 0) continue;
      this.#entries.delete(entry.digest);
      this.#bytes -= entry.size;
      dropped.push(entry.digest);
    }
    return dropped;
  }

  /** Marks digests as referenced by a locally pushed manifest in `repository`. */
  protect(repository: string, digests: readonly string[]): void {
    this.revision += 1;
    let set = this.#localReferences.get(repository);
    if (!set) {
      set = new Set();
      this.#localReferences.set(repository, set);
    }
    for (const digest of digests) set.add(digest);
  }

  isProtected(entry: CachedEntry): boolean {
    for (const repository of entry.repositories) {
      if (this.#localReferences.get(repository)?.has(entry.digest)) return true;
    }
    return false;
  }

  /**
   * What to evict now: entries unused for longer than `unusedExpiryMs`, then the least recently
   * used until the cache fits in `maxBytes`. Only entries no other cached manifest references (an
   * image's blobs become candidates once their last image is gone) and that no local push
   * references are candidates. The plan is computed on a copy; `remove` applies it.
   */
  plan(options: { maxBytes?: number; unusedExpiryMs?: number; now: number }): Eviction[] {
    const alive = new Map(this.#entries);
    let bytes = this.#bytes;
    const referenced = new Map<string, number>();
    for (const entry of alive.values()) {
      for (const reference of entry.references)
        referenced.set(reference, (referenced.get(reference) ?? 0) + 1);
    }
    const evictions: Eviction[] = [];
    const evict = (entry: CachedEntry, reason: Eviction['reason']) => {
      alive.delete(entry.digest);
      bytes -= entry.size;
      for (const reference of entry.references)
        referenced.set(reference, (referenced.get(reference) ?? 1) - 1);
      evictions.push({ entry, reason });
    };
    const candidates = () =>
      [...alive.values()]
        .filter((entry) => (referenced.get(entry.digest) ?? 0) <= 0 && !this.isProtected(entry))
        .sort((a, b) => a.lastAccess - b.lastAccess);
    for (;;) {
      const next = candidates()[0];
      if (!next) break;
      if (options.unusedExpiryMs !== undefined && next.lastAccess + options.unusedExpiryMs <= options.now) {
        evict(next, 'unused');
      } else if (options.maxBytes !== undefined && bytes > options.maxBytes) {
        evict(next, 'size');
      } else {
        break;
      }
    }
    return evictions;
  }

  toJSON(): CacheIndexState {
    return {
      version: 1,
      tags: [...this.#tags],
      entries: [...this.#entries.values()].map((entry) => ({
        ...entry,
        repositories: [...entry.repositories],
      })),
      origins: [...this.#origins],
      localReferences: [...this.#localReferences].map(([name, set]) => [name, [...set]]),
      referrers: [...this.#referrers],
    };
  }

  /** Loads a saved state (entries already known are kept). */
  restore(state: CacheIndexState): void {
    if (state.version !== 1) throw new Error(`unknown cache index version ${String(state.version)}`);
    for (const [key, tag] of state.tags) if (!this.#tags.has(key)) this.#tags.set(key, { ...tag });
    for (const entry of state.entries) {
      if (this.#entries.has(entry.digest)) continue;
      this.#entries.set(entry.digest, { ...entry, repositories: new Set(entry.repositories) });
      this.#bytes += entry.size;
    }
    for (const [name, upstream] of state.origins)
      if (!this.#origins.has(name)) this.#origins.set(name, upstream);
    for (const [name, digests] of state.localReferences) this.protect(name, digests);
    for (const [key, value] of state.referrers ?? [])
      if (!this.#referrers.has(key)) this.#referrers.set(key, value);
    this.revision += 1;
  }
}
