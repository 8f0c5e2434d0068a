import type { Logger } from '@glci/config';
import { PathNotFoundError, type StorageDriver } from '@glci/registry';
import type { CacheIndex, CacheIndexState } from './cache-index.js';
import type { Clock } from './clock.js';
import type { UpstreamSet, UpstreamStats } from './upstream-set.js';

/**
 * What a proxy keeps in its state driver (normally the registry's own storage):
 *
 * ```
 * /proxy/
 * ├── cache-index.json      the cache index (CacheIndexState): tags, entries, referrers, origins
 * └── upstream-stats.json   the per-upstream counters (SavedProxyStats), accumulated over restarts
 * ```
 *
 * Both are written whole (`putContent`) when they changed, every `stateSaveIntervalMs` and on
 * `close()`, and read once at start.
 */
export const CACHE_STATE_PATH = '/proxy/cache-index.json';
export const STATS_STATE_PATH = '/proxy/upstream-stats.json';

/** The persisted counters (version 1), what `glci registry stats` prints for a proxy's storage. */
export interface SavedProxyStats {
  readonly version: 1;
  /** When they were saved, in ms since the epoch. */
  readonly savedAt: number;
  /**
   * Per upstream URL, counted over every run of a proxy on this storage (a restarted proxy starts
   * from them). Upstreams no longer configured keep their last counters.
   */
  readonly upstreams: readonly UpstreamStats[];
  /** The cache's size when they were saved. */
  readonly cache: { readonly bytes: number; readonly entries: number };
}

const COUNTERS = [
  'hits',
  'misses',
  'revalidations',
  'staleServed',
  'bytesFromCache',
  'bytesFetched',
] as const;

/** Loads and saves one proxy's cache index and counters through a storage driver. */
export class ProxyStateStore {
  #savedRevision = -1;
  #savedStats = '';
  #saving: Promise<void> = Promise.resolve();
  /** Saved counters of upstreams that are not configured any more, written back unchanged. */
  #retired: UpstreamStats[] = [];

  constructor(
    private readonly driver: StorageDriver,
    private readonly index: CacheIndex,
    private readonly upstreams: UpstreamSet,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /** Restores the saved index and adds the saved counters to the live ones. */
  async load(): Promise<void> {
    try {
      const content = await this.driver.getContent(CACHE_STATE_PATH);
      this.index.restore(JSON.parse(Buffer.from(content).toString('utf8')) as CacheIndexState);
      this.#savedRevision = this.index.revision;
      this.logger.info('cache index loaded', { bytes: this.index.bytes });
    } catch (error) {
      if (!(error instanceof PathNotFoundError)) {
        this.logger.warn('cache index could not be loaded; starting empty', { error: String(error) });
      }
    }
    try {
      const saved = await readSavedProxyStats(this.driver);
      if (saved) this.#accumulate(saved);
      this.#savedStats = this.#statsKey();
    } catch (error) {
      this.logger.warn('proxy counters could not be loaded; counting from zero', { error: String(error) });
    }
  }

  #accumulate(saved: SavedProxyStats): void {
    for (const previous of saved.upstreams) {
      const upstream = this.upstreams.byUrl(previous.url);
      if (!upstream) {
        this.#retired.push(previous);
        continue;
      }
      for (const counter of COUNTERS) {
        const value = previous[counter];
        if (typeof value === 'number' && Number.isFinite(value)) upstream.stats[counter] += value;
      }
      upstream.stats.rateLimitRemaining ??= previous.rateLimitRemaining;
      upstream.stats.lastError ??= previous.lastError;
    }
  }

  /** Saves what changed since the last save (never concurrently); failures are logged. */
  save(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      const revision = this.index.revision;
      if (revision !== this.#savedRevision) {
        try {
          await this.driver.putContent(CACHE_STATE_PATH, encode(this.index));
          this.#savedRevision = revision;
        } catch (error) {
          this.logger.warn('cache index could not be saved', { error: String(error) });
        }
      }
      const key = this.#statsKey();
      if (key !== this.#savedStats) {
        try {
          await this.driver.putContent(STATS_STATE_PATH, encode(this.#stats()));
          this.#savedStats = key;
        } catch (error) {
          this.logger.warn('proxy counters could not be saved', { error: String(error) });
        }
      }
    });
    return this.#saving;
  }

  #stats(): SavedProxyStats {
    return {
      version: 1,
      savedAt: this.clock.now(),
      upstreams: [...this.upstreams.upstreams.map((upstream) => ({ ...upstream.stats })), ...this.#retired],
      cache: { bytes: this.index.bytes, entries: this.index.size },
    };
  }

  /** Everything saved except the time, to tell whether a save is due. */
  #statsKey(): string {
    const { savedAt: _savedAt, ...rest } = this.#stats();
    return JSON.stringify(rest);
  }
}

/**
 * The counters a proxy saved in `driver`, or `undefined` when none ever ran there. Rejects when the
 * file is not valid JSON or has an unknown version.
 */
export async function readSavedProxyStats(driver: StorageDriver): Promise<SavedProxyStats | undefined> {
  let content: Uint8Array;
  try {
    content = await driver.getContent(STATS_STATE_PATH);
  } catch (error) {
    if (error instanceof PathNotFoundError) return undefined;
    throw error;
  }
  const parsed = JSON.parse(Buffer.from(content).toString('utf8')) as Partial<SavedProxyStats> | null;
  if (parsed?.version !== 1 || !Array.isArray(parsed.upstreams)) {
    throw new Error(`${STATS_STATE_PATH} has an unknown format`);
  }
  return parsed as SavedProxyStats;
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
