import { createHash, randomUUID } from 'node:crypto';
import { type FileHandle, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from '@glci/config';
import type { Digest } from '../digest.js';
import { FileRangeStream } from '../driver/file-range-stream.js';
import type { ByteRange } from '../store/contracts.js';
import { CacheDirectory, writeVerified } from './cache-directory.js';
import {
  type FileIdentity,
  fileMatchesDigest,
  identityOf,
  sameContentIdentity,
  sameIdentity,
} from './file-identity.js';
import { FillQueue } from './fill-queue.js';

/**
 * A size-bounded cache of blobs on this node's own disk, for a registry whose store is remote
 * (S3): `NodeCachedContentStore` reads through it and fills it. Content-addressed, so a copy is
 * correct wherever it came from, as long as its bytes hash to its name; the cache makes sure of
 * that before it hands a copy out, and never decides whether a blob exists (the store does).
 *
 * The directory's layout is `CacheDirectory`'s (`cache-directory.ts`).
 *
 * - **Verified by digest.** A fill hashes the bytes while writing them and publishes the file only
 *   when digest and size match. The file's identity (inode, size, mtime, ctime) at that moment is
 *   kept in memory, and every read compares the open file's identity with it: a file changed since
 *   (by anyone: a write changes both times) or not yet verified by this process (after a restart)
 *   is hashed again before any byte is served. A copy that fails is counted, logged, deleted, and
 *   the read is a miss.
 * - **LRU by last access, bounded by `maxBytes`.** Entries are kept in the order they were last
 *   read or filled; a fill first reserves its size and evicts the least recently used entries until
 *   it fits. A blob larger than `maxBytes` is never cached. After a restart the order starts from
 *   the files' modification (fill) times.
 * - **Fills run in the background**, at most `concurrency` at once and `queueLimit` waiting (more
 *   are skipped and counted), one per digest at a time.
 * - One process per directory: two processes on one directory do not corrupt each other (names
 *   are unique, publishing is a rename, and every read verifies), but each keeps its own budget.
 *   The cache only ever deletes files whose names it made.
 */
export interface LocalBlobCacheOptions {
  readonly directory: string;
  /** Bytes the cached blobs may take; more are evicted least recently used first. */
  readonly maxBytes: number;
  readonly logger: Logger;
  /** Fills running at once (default 2). */
  readonly concurrency?: number;
  /** Fills waiting beyond the running ones; more are skipped (default 256). */
  readonly queueLimit?: number;
  readonly uuid?: () => string;
}

/** Counters since start, and the cache's current size: what `/metrics` shows. */
export interface LocalBlobCacheStats {
  readonly directory: string;
  readonly maxBytes: number;
  /** Bytes and number of the cached blobs now. */
  readonly bytes: number;
  readonly entries: number;
  /** Reads served from the cache, and reads that went to the store. */
  readonly hits: number;
  readonly misses: number;
  /** Bytes those reads asked for, from the cache and from the store. */
  readonly bytesFromCache: number;
  readonly bytesFromStore: number;
  /** Blobs written into the cache, their bytes, fills that failed, fills skipped (too big, queue full). */
  readonly fills: number;
  readonly filledBytes: number;
  readonly fillFailures: number;
  readonly fillsSkipped: number;
  /** Fills queued or running. */
  readonly fillsPending: number;
  /** Cached copies whose bytes no longer matched their digest (deleted, then read from the store). */
  readonly verifyFailures: number;
  readonly evictions: number;
  readonly evictedBytes: number;
}

/** The cache directory cannot be used. */
export class LocalCacheError extends Error {
  constructor(
    readonly directory: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`node-local blob cache ${directory}: ${message}`, options);
    this.name = new.target.name;
  }
}

interface Entry {
  readonly digest: Digest;
  readonly size: number;
  /** The file's identity when its bytes last hashed to the digest; unset: not verified by this process. */
  verified: FileIdentity | undefined;
  /** A verification in progress, shared by concurrent readers. */
  verifying?: Promise<boolean>;
}

type Counter = Exclude<
  keyof LocalBlobCacheStats,
  'directory' | 'maxBytes' | 'bytes' | 'entries' | 'fillsPending'
>;

/** Bytes per read of a cached file: the blob GET handler relays them through reused buffers. */
const READ_CHUNK_BYTES = 1024 * 1024;

export class LocalBlobCache {
  /** Opens (creating it if needed) the cache at `options.directory` and indexes what it holds. */
  static async create(options: LocalBlobCacheOptions): Promise<LocalBlobCache> {
    const cache = new LocalBlobCache(options);
    await cache.#load();
    return cache;
  }

  readonly directory: string;
  readonly maxBytes: number;
  readonly #layout: CacheDirectory;
  readonly #logger: Logger;
  readonly #uuid: () => string;
  readonly #fills: FillQueue;
  /** Least recently used first. */
  readonly #entries = new Map<string, Entry>();
  readonly #counters: Record<Counter, number> = {
    hits: 0,
    misses: 0,
    bytesFromCache: 0,
    bytesFromStore: 0,
    fills: 0,
    filledBytes: 0,
    fillFailures: 0,
    fillsSkipped: 0,
    verifyFailures: 0,
    evictions: 0,
    evictedBytes: 0,
  };
  /** Deletions of evicted files still in flight. */
  readonly #removals = new Set<Promise<void>>();
  #bytes = 0;
  /** Bytes promised to fills in progress. */
  #reserved = 0;

  private constructor(options: LocalBlobCacheOptions) {
    this.directory = path.resolve(options.directory);
    this.#layout = new CacheDirectory(this.directory);
    this.maxBytes = options.maxBytes;
    this.#logger = options.logger.child({ module: 'local-blob-cache' });
    this.#uuid = options.uuid ?? randomUUID;
    this.#fills = new FillQueue({ concurrency: options.concurrency ?? 2, limit: options.queueLimit ?? 256 });
  }

  /**
   * A stream of `range` of the cached copy of `digest` (`size` bytes in the store), verified; or
   * `undefined` (a miss, counted by the caller) when there is no trustworthy copy.
   */
  async reader(digest: Digest, size: number, range: ByteRange): Promise<FileRangeStream | undefined> {
    const entry = this.#current(digest, size);
    if (!entry) return undefined;
    let handle: FileHandle;
    try {
      handle = await open(this.#blobPath(digest), 'r');
    } catch (error) {
      this.#lost(entry, error);
      return undefined;
    }
    try {
      if (!(await this.#verified(entry, handle))) {
        await handle.close();
        return undefined;
      }
    } catch (error) {
      await handle.close();
      this.#lost(entry, error);
      return undefined;
    }
    this.#touch(entry);
    this.#count('hits', 1);
    this.#count('bytesFromCache', range.length);
    return FileRangeStream.fromHandle(handle, range.offset, range.offset + range.length, READ_CHUNK_BYTES);
  }

  /** The whole cached copy of a small blob, hashed on every read (it is in memory anyway); or `undefined`. */
  async read(digest: Digest, size: number): Promise<Uint8Array | undefined> {
    const entry = this.#current(digest, size);
    if (!entry) return undefined;
    let content: Buffer;
    try {
      content = await readFile(this.#blobPath(digest));
    } catch (error) {
      this.#lost(entry, error);
      return undefined;
    }
    if (
      content.length !== size ||
      createHash(digest.algorithm).update(content).digest('hex') !== digest.hex
    ) {
      this.#failedVerification(entry);
      return undefined;
    }
    this.#touch(entry);
    this.#count('hits', 1);
    this.#count('bytesFromCache', size);
    return content;
  }

  /** Counts a read the store served because the cache could not. */
  recordMiss(bytes: number): void {
    this.#count('misses', 1);
    this.#count('bytesFromStore', bytes);
  }

  /**
   * Copies `digest` (`size` bytes) into the cache in the background, from `source` (a stream of
   * the whole blob from the store); nothing happens when it is cached or being filled already.
   */
  fill(digest: Digest, size: number, source: (signal: AbortSignal) => Promise<Readable>): void {
    const key = String(digest);
    if (this.#entries.has(key) || this.#fills.has(key)) return;
    if (size > this.maxBytes) {
      this.#count('fillsSkipped', 1);
      return;
    }
    const queued = this.#fills.enqueue(key, (signal) => this.#fill(digest, size, source, signal));
    if (queued === 'full') this.#count('fillsSkipped', 1);
  }

  /** Caches `content` (already in memory: a manifest or config) in the background. */
  keep(digest: Digest, content: Uint8Array): void {
    this.fill(digest, content.length, async () => Readable.from([content]));
  }

  /** Removes the copy of a blob the store no longer has. */
  forget(digest: Digest): void {
    const entry = this.#entries.get(String(digest));
    if (entry) this.#evict(entry);
  }

  /** Resolves once no fill is queued or running and every evicted file is deleted. */
  async settled(): Promise<void> {
    while (this.#fills.pending > 0 || this.#removals.size > 0) {
      await Promise.all([this.#fills.idle(), ...this.#removals]);
    }
  }

  stats(): LocalBlobCacheStats {
    return {
      directory: this.directory,
      maxBytes: this.maxBytes,
      bytes: this.#bytes,
      entries: this.#entries.size,
      fillsPending: this.#fills.pending,
      ...this.#counters,
    };
  }

  /** Stops the fills in progress (their partial files are removed) and drops the queued ones. */
  async close(): Promise<void> {
    await this.#fills.close();
    await Promise.all([...this.#removals]);
  }

  /** The entry for `digest` if the store's `size` agrees with it; a disagreeing one is stale and goes. */
  #current(digest: Digest, size: number): Entry | undefined {
    const entry = this.#entries.get(String(digest));
    if (!entry) return undefined;
    if (entry.size === size) return entry;
    this.#evict(entry);
    return undefined;
  }

  /** Whether the open file still holds the verified bytes; hashes it when that is not known. */
  async #verified(entry: Entry, handle: FileHandle): Promise<boolean> {
    const identity = identityOf(await handle.stat({ bigint: true }));
    if (entry.verified && sameIdentity(entry.verified, identity)) return true;
    entry.verifying ??= this.#verify(entry, handle, identity).finally(() => {
      entry.verifying = undefined;
    });
    if (!(await entry.verifying)) return false;
    // Verified through another reader's handle: this one must be that same version of the file.
    return entry.verified !== undefined && sameIdentity(entry.verified, identity);
  }

  async #verify(entry: Entry, handle: FileHandle, before: FileIdentity): Promise<boolean> {
    const matches =
      before.size === BigInt(entry.size) && (await fileMatchesDigest(handle, entry.digest, entry.size));
    const after = identityOf(await handle.stat({ bigint: true }));
    if (matches && sameIdentity(before, after)) {
      entry.verified = after;
      return true;
    }
    this.#failedVerification(entry);
    return false;
  }

  #failedVerification(entry: Entry): void {
    this.#count('verifyFailures', 1);
    this.#logger.warn('a cached blob no longer matches its digest: deleted, read from the store instead', {
      digest: String(entry.digest),
      file: this.#blobPath(entry.digest),
    });
    this.#evict(entry);
  }

  async #fill(
    digest: Digest,
    size: number,
    source: (signal: AbortSignal) => Promise<Readable>,
    signal: AbortSignal,
  ): Promise<void> {
    if (this.#entries.has(String(digest))) return;
    if (!this.#makeRoom(size)) {
      this.#count('fillsSkipped', 1);
      return;
    }
    this.#reserved += size;
    const staging = this.#layout.stagingPath(this.#uuid());
    try {
      const written = await writeVerified(staging, digest, size, await source(signal), signal);
      const target = this.#blobPath(digest);
      await rename(staging, target);
      const published = identityOf(await stat(target, { bigint: true }));
      this.#add({
        digest,
        size,
        // The renamed file is the one that was hashed, unless something changed it in between.
        verified: sameContentIdentity(written, published) ? published : undefined,
      });
      this.#count('fills', 1);
      this.#count('filledBytes', size);
    } catch (error) {
      await rm(staging, { force: true }).catch(() => undefined);
      if (signal.aborted) return;
      this.#count('fillFailures', 1);
      this.#logger.warn('could not copy a blob into the node-local cache', {
        digest: String(digest),
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#reserved -= size;
    }
  }

  /** Evicts least recently used entries until `size` more bytes fit; false when they cannot. */
  #makeRoom(size: number): boolean {
    if (size > this.maxBytes) return false;
    for (const entry of this.#entries.values()) {
      if (this.#bytes + this.#reserved + size <= this.maxBytes) break;
      this.#evict(entry);
    }
    return this.#bytes + this.#reserved + size <= this.maxBytes;
  }

  #add(entry: Entry): void {
    const previous = this.#entries.get(String(entry.digest));
    if (previous) {
      this.#entries.delete(String(entry.digest));
      this.#bytes -= previous.size;
    }
    this.#entries.set(String(entry.digest), entry);
    this.#bytes += entry.size;
  }

  #touch(entry: Entry): void {
    const key = String(entry.digest);
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }

  /** Drops the entry and deletes its file. */
  #evict(entry: Entry): void {
    const key = String(entry.digest);
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.size;
    this.#count('evictions', 1);
    this.#count('evictedBytes', entry.size);
    const file = this.#blobPath(entry.digest);
    const removal: Promise<void> = rm(file, { force: true })
      .catch((error: unknown) => {
        this.#logger.warn('could not delete an evicted blob', { file, error: String(error) });
      })
      .finally(() => this.#removals.delete(removal));
    this.#removals.add(removal);
  }

  /** The entry's file could not be read (deleted behind the cache's back): forget it. */
  #lost(entry: Entry, error: unknown): void {
    const key = String(entry.digest);
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.size;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      this.#logger.warn('could not read a cached blob', { digest: key, error: String(error) });
    }
  }

  #blobPath(digest: Digest): string {
    return this.#layout.blobPath(digest);
  }

  #count(counter: Counter, amount: number): void {
    this.#counters[counter] += amount;
  }

  /** Prepares the directory and indexes the blobs it holds (unverified until first read). */
  async #load(): Promise<void> {
    try {
      await this.#layout.prepare();
      for (const { digest, size } of await this.#layout.scan())
        this.#add({ digest, size, verified: undefined });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new LocalCacheError(this.directory, `cannot be used (${code ?? String(error)})`, {
        cause: error,
      });
    }
    this.#makeRoom(0);
    this.#logger.info('node-local blob cache ready', {
      directory: this.directory,
      entries: this.#entries.size,
      bytes: this.#bytes,
      maxBytes: this.maxBytes,
    });
  }
}
