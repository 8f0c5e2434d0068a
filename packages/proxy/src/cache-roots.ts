import { type GcRoot, type GcRootsProvider, PathNotFoundError, type StorageDriver } from '@glci/registry';
import type { CacheIndexState } from './cache-index.js';
import { CACHE_STATE_PATH } from './proxy-state.js';

/** The registry GC's roots-provider option (`garbageCollect(namespace, { extraRoots })`). */
export type CacheRootsProvider = GcRootsProvider;
export type CacheRoot = GcRoot;

/**
 * The registry GC's roots for what a pull-through cache holds: every cached manifest and blob in
 * each repository it was linked into, what each cached manifest references there (a blob mounted
 * from another repository instead of downloaded is not an entry of its own), and the digests cached
 * tags point at. Cached content is often untagged in the tag store (its tags live in the index) or
 * not in the manifest store at all (an image whose blobs were not all pulled), so without these GC
 * would take it; eviction stays the proxy's job.
 */
export function cacheRoots(state: CacheIndexState): CacheRoot[] {
  const roots = new Map<string, CacheRoot>();
  const add = (repository: string, digest: string) => {
    roots.set(`${repository}@${digest}`, { repository, digest });
  };
  for (const entry of state.entries) {
    for (const repository of entry.repositories) {
      add(repository, entry.digest);
      for (const reference of entry.references) add(repository, reference);
    }
  }
  for (const [key, tag] of state.tags) add(key.slice(0, key.indexOf('\n')), tag.digest);
  return [...roots.values()];
}

/**
 * A GC roots provider reading the cache index a proxy saved through `driver`
 * (`/proxy/cache-index.json`); for `glci registry gc` on a storage a proxy serves from. No index
 * means no roots. An index that cannot be read or parsed rejects, which stops GC before it changes
 * anything: better no collection than deleting what the cache still counts on.
 *
 * A running proxy saves its index every few seconds, so content cached since the last save is only
 * protected by GC's grace period (1 h by default), like any fresh push.
 */
export function savedCacheRoots(driver: StorageDriver): CacheRootsProvider {
  return async () => {
    let content: Uint8Array;
    try {
      content = await driver.getContent(CACHE_STATE_PATH);
    } catch (error) {
      if (error instanceof PathNotFoundError) return [];
      throw error;
    }
    let state: CacheIndexState;
    try {
      state = JSON.parse(Buffer.from(content).toString('utf8')) as CacheIndexState;
    } catch (error) {
      throw new Error(`the proxy cache index ${CACHE_STATE_PATH} is not valid JSON; fix or remove it`, {
        cause: error,
      });
    }
    if (state?.version !== 1 || !Array.isArray(state.entries) || !Array.isArray(state.tags)) {
      throw new Error(`the proxy cache index ${CACHE_STATE_PATH} has an unknown format; fix or remove it`);
    }
    return cacheRoots(state);
  };
}
