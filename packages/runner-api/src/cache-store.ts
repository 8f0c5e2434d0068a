import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from './clock.js';
import { BadRequestError, InsufficientStorageError, PayloadTooLargeError } from './errors.js';

export interface CacheEntry {
  readonly key: string;
  readonly size: number;
  /** Quoted MD5 hex, as S3 answers it. */
  readonly etag: string;
  readonly lastModified: number;
  readonly contentType: string;
  /** `x-amz-meta-*` headers, without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface CacheStoreOptions {
  /** The cache volume. */
  readonly root: string;
  readonly clock: Clock;
  /** `[cache] max_size`: uploads that would grow the volume past it are refused (507). */
  readonly maxSize: number;
  /** `[cache] ttl` in ms: older entries are pruned on upload and not served. */
  readonly ttlMs: number;
  /** Per-entry cap (S3's single-PUT limit, 5 GB). */
  readonly maxEntrySize?: number;
}

export interface PutOptions {
  readonly contentLength?: number;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export const MAX_CACHE_ENTRY_SIZE = 5 * 1024 ** 3;

/** Object keys: no empty, `.` or `..` segments, no backslashes or control characters. */
export function validateCacheKey(key: string): string {
  if (key.length === 0 || key.length > 1024) throw new BadRequestError('invalid cache key length');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key)) throw new BadRequestError('invalid character in cache key');
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new BadRequestError('cache key may not contain empty, "." or ".." segments');
  }
  return key;
}

/**
 * The runner's S3 cache objects, persisted on the cache volume. Files are named by the SHA-256 of
 * the key, so no key can reach outside the volume:
 * ```
 * <root>/
 *   tmp/<uuid>               uploads in progress
 *   objects/<sha256>         the object bytes
 *   objects/<sha256>.json    its CacheEntry
 * ```
 */
export class FsCacheStore {
  readonly #options: Required<CacheStoreOptions>;
  readonly #entries = new Map<string, CacheEntry>();
  #loaded: Promise<void> | undefined;
  /** Bytes promised to uploads in flight. */
  #reserved = 0;

  constructor(options: CacheStoreOptions) {
    this.#options = { maxEntrySize: MAX_CACHE_ENTRY_SIZE, ...options };
  }

  get #objects(): string {
    return path.join(this.#options.root, 'objects');
  }

  async put(key: string, source: Readable, options: PutOptions = {}): Promise<CacheEntry> {
    validateCacheKey(key);
    await this.#load();
    const { maxEntrySize, maxSize } = this.#options;
    if (options.contentLength !== undefined && options.contentLength > maxEntrySize) {
      throw new PayloadTooLargeError(`cache entries are limited to ${maxEntrySize} bytes`, maxEntrySize);
    }
    await this.prune();
    const replaced = this.#entries.get(key)?.size ?? 0;
    const budget = () => maxSize - (this.usage() - replaced) - this.#reserved;
    if (options.contentLength !== undefined && options.contentLength > budget()) {
      throw new InsufficientStorageError('the cache volume is full ([cache] max_size)');
    }
    const limit = Math.min(maxEntrySize, budget());
    const reservation = options.contentLength ?? Math.max(0, limit);
    this.#reserved += reservation;
    const tmp = path.join(this.#options.root, 'tmp', randomUUID());
    let size = 0;
    const md5 = createHash('md5');
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxEntrySize) {
          callback(
            new PayloadTooLargeError(`cache entries are limited to ${maxEntrySize} bytes`, maxEntrySize),
          );
        } else if (size > limit) {
          callback(new InsufficientStorageError('the cache volume is full ([cache] max_size)'));
        } else {
          md5.update(chunk);
          callback(null, chunk);
        }
      },
    });
    try {
      await mkdir(path.dirname(tmp), { recursive: true });
      await mkdir(this.#objects, { recursive: true });
      await pipeline(source, counter, createWriteStream(tmp));
      if (options.contentLength !== undefined && size !== options.contentLength) {
        throw new BadRequestError('body length does not match Content-Length');
      }
      const entry: CacheEntry = {
        key,
        size,
        etag: `"${md5.digest('hex')}"`,
        lastModified: this.#options.clock.now(),
        contentType: options.contentType ?? 'application/octet-stream',
        metadata: { ...options.metadata },
      };
      const file = this.#file(key);
      await rename(tmp, file);
      await writeFile(`${file}.json`, JSON.stringify(entry));
      this.#entries.set(key, entry);
      return entry;
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    } finally {
      this.#reserved -= reservation;
    }
  }

  /** The entry, unless missing or older than the TTL. */
  async head(key: string): Promise<CacheEntry | undefined> {
    validateCacheKey(key);
    await this.#load();
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(entry)) return undefined;
    return entry;
  }

  async open(key: string): Promise<{ entry: CacheEntry; stream: Readable } | undefined> {
    const entry = await this.head(key);
    if (!entry) return undefined;
    return { entry, stream: createReadStream(this.#file(key)) };
  }

  /** Deletes expired entries; returns how many. */
  async prune(): Promise<number> {
    await this.#load();
    const expired = [...this.#entries.values()].filter((entry) => this.#expired(entry));
    for (const entry of expired) await this.#remove(entry.key);
    return expired.length;
  }

  /** Empties the cache volume (`glci system cache clean`). */
  async clean(): Promise<{ entries: number; bytes: number }> {
    await this.#load();
    const result = { entries: this.#entries.size, bytes: this.usage() };
    this.#entries.clear();
    await rm(this.#objects, { recursive: true, force: true });
    await rm(path.join(this.#options.root, 'tmp'), { recursive: true, force: true });
    return result;
  }

  /** Bytes held by stored entries. */
  usage(): number {
    let total = 0;
    for (const entry of this.#entries.values()) total += entry.size;
    return total;
  }

  async list(): Promise<readonly CacheEntry[]> {
    await this.#load();
    return [...this.#entries.values()];
  }

  #expired(entry: CacheEntry): boolean {
    return entry.lastModified + this.#options.ttlMs <= this.#options.clock.now();
  }

  #file(key: string): string {
    return path.join(this.#objects, createHash('sha256').update(key).digest('hex'));
  }

  async #remove(key: string): Promise<void> {
    this.#entries.delete(key);
    const file = this.#file(key);
    await rm(file, { force: true });
    await rm(`${file}.json`, { force: true });
  }

  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      let names: string[] = [];
      try {
        names = await readdir(this.#objects);
      } catch {
        return;
      }
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        try {
          const entry = JSON.parse(await readFile(path.join(this.#objects, name), 'utf8')) as CacheEntry;
          if (typeof entry.key === 'string' && this.#file(entry.key).endsWith(name.slice(0, -5))) {
            this.#entries.set(entry.key, entry);
          }
        } catch {
          // A torn metadata file (crash during write): the object is simply not there.
        }
      }
    })();
    return this.#loaded;
  }
}
