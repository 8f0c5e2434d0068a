import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from '@glci/config';
import { type Digest, type DigestAlgorithm, makeDigest } from '../digest.js';
import { type FileWriter, PathNotFoundError, type StorageDriver } from '../driver/storage-driver.js';
import {
  BlobUploadInvalidError,
  BlobUploadUnknownError,
  DigestMismatchError,
  UploadRangeError,
} from '../errors.js';
import { MediaType } from '../media-types.js';
import type { ContentStore } from './blob-store.js';
import type { BlobWriter, Descriptor } from './contracts.js';
import type { Hasher, HashingStrategy } from './hasher.js';
import { listOrEmpty, orUndefined } from './links.js';
import { baseName, uploadDataPath, uploadPath, uploadStatePath, uploadsPath } from './paths.js';

/** What `_uploads/<id>/state.json` holds. */
export interface UploadState {
  readonly id: string;
  readonly repository: string;
  readonly startedAt: string;
  /** Last time bytes were received (expiry counts from here). */
  readonly updatedAt: string;
  /** Bytes in the session's data writer when the state was last saved (the writer's own size wins). */
  readonly size: number;
  readonly algorithm: DigestAlgorithm;
  /** Saved hash state (wasm hashing only), valid at `hashedSize` bytes. */
  readonly hashState?: string;
  readonly hashedSize?: number;
}

/** An upload session as `listUploads` reports it. */
export interface UploadSessionInfo {
  readonly repository: string;
  readonly id: string;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly size: number;
}

export interface UploadStoreOptions {
  readonly driver: StorageDriver;
  /** Where a committed upload is published by its digest. */
  readonly blobs: ContentStore;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly uuid: () => string;
  readonly hashing: HashingStrategy;
  readonly expiryMs: number;
  /** Links a committed blob into the repository; returns false when GC raced it away. */
  readonly link: (repository: string, descriptor: Descriptor) => Promise<boolean>;
}

/** A hasher kept alive between the requests of one session, in this process. */
interface LiveHasher {
  readonly hasher: Hasher;
  readonly size: number;
}

/** Session ids the store hands out and accepts: one path segment, never `.`-led. */
const SESSION_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
/** How often `close()` refreshes a session's `updatedAt` when there is no hash state to save. */
const STATE_REFRESH_MS = 60_000;
/** Live hashers kept for sessions between requests; abandoned ones are dropped oldest first. */
const MAX_LIVE_HASHERS = 4096;

/**
 * Upload sessions of all repositories of one namespace. Session state is persisted at creation and
 * at every `close()`, so a session survives a restart and can continue on another node; the bytes
 * live in a pending driver writer that is resumed with `append`.
 */
export class UploadStore {
  readonly #live = new Map<string, LiveHasher>();

  constructor(private readonly options: UploadStoreOptions) {}

  async create(repository: string, algorithm: DigestAlgorithm = 'sha256'): Promise<UploadSession> {
    const { driver, clock, uuid, hashing } = this.options;
    const id = uuid();
    const now = clock().toISOString();
    const state: UploadState = { id, repository, startedAt: now, updatedAt: now, size: 0, algorithm };
    // An empty pending writer, so every later request resumes with `append`.
    const writer = await driver.writer(uploadDataPath(repository, id));
    await writer.close();
    // Session state need only survive a crashed process: after an OS crash a client starts the
    // upload again, so the state is not flushed to disk (one fsync less per blob pushed).
    await driver.putContent(uploadStatePath(repository, id), encodeState(state), { durable: false });
    this.options.logger.debug('upload started', { repo: repository, upload: id });
    return new UploadSession(this, state, await hashing.create(algorithm), 0);
  }

  async resume(repository: string, id: string): Promise<UploadSession> {
    if (!SESSION_ID.test(id)) throw new BlobUploadUnknownError(id);
    const state = await this.readState(repository, id);
    if (!state) throw new BlobUploadUnknownError(id);
    if (this.#expired(state)) {
      await this.discard(repository, id);
      throw new BlobUploadUnknownError(id);
    }
    // The pending writer is the truth about the size: a request killed after writing but before
    // its close() leaves more bytes than the state says, and the client must resume after them.
    const size = await this.#pendingSize(repository, id);
    if (size === undefined) throw new BlobUploadUnknownError(id);
    const restored = await this.#restoreHasher(state);
    const current = size === state.size ? state : { ...state, size };
    return restored.hashedSize === size
      ? new UploadSession(this, current, restored.hasher, size)
      : new UploadSession(this, current, undefined, 0);
  }

  /** Every session of `repository` (for stats and purging). */
  async list(repository: string): Promise<UploadSessionInfo[]> {
    const sessions: UploadSessionInfo[] = [];
    for (const path of await listOrEmpty(this.options.driver, uploadsPath(repository))) {
      const id = baseName(path);
      const state = await this.readState(repository, id).catch(() => undefined);
      if (!state) {
        // A session directory without state: a crash between its two first writes.
        sessions.push({ repository, id, startedAt: new Date(0), updatedAt: new Date(0), size: 0 });
        continue;
      }
      sessions.push({
        repository,
        id,
        startedAt: new Date(state.startedAt),
        updatedAt: new Date(state.updatedAt),
        size: (await this.#pendingSize(repository, id)) ?? state.size,
      });
    }
    return sessions;
  }

  /** Removes the sessions of `repository` idle for longer than the expiry; returns them. */
  async purgeExpired(repository: string, options: { dryRun?: boolean } = {}): Promise<UploadSessionInfo[]> {
    const cutoff = this.options.clock().getTime() - this.options.expiryMs;
    const expired = (await this.list(repository)).filter((session) => session.updatedAt.getTime() < cutoff);
    if (!options.dryRun) {
      for (const session of expired) await this.discard(repository, session.id);
    }
    return expired;
  }

  async readState(repository: string, id: string): Promise<UploadState | undefined> {
    const content = await orUndefined(this.options.driver.getContent(uploadStatePath(repository, id)));
    return content === undefined
      ? undefined
      : (JSON.parse(Buffer.from(content).toString('utf8')) as UploadState);
  }

  async saveState(state: UploadState): Promise<void> {
    await this.options.driver.putContent(uploadStatePath(state.repository, state.id), encodeState(state), {
      durable: false,
    });
  }

  async discard(repository: string, id: string): Promise<void> {
    this.#live.delete(liveKey(repository, id));
    await this.options.driver.delete(uploadPath(repository, id));
  }

  keepLive(state: UploadState, hasher: Hasher | undefined, size: number): void {
    const key = liveKey(state.repository, state.id);
    this.#live.delete(key);
    if (!hasher) return;
    this.#live.set(key, { hasher, size });
    if (this.#live.size > MAX_LIVE_HASHERS) {
      const oldest = this.#live.keys().next().value;
      if (oldest !== undefined) this.#live.delete(oldest);
    }
  }

  get deps(): UploadStoreOptions {
    return this.options;
  }

  /** The hasher to continue with: the live one, else a restored one, else none (re-hash at commit). */
  async #restoreHasher(state: UploadState): Promise<{ hasher: Hasher | undefined; hashedSize: number }> {
    const key = liveKey(state.repository, state.id);
    const live = this.#live.get(key);
    // Taken out while a request uses it: a concurrent request on the same session hashes nothing.
    this.#live.delete(key);
    if (live) return { hasher: live.hasher, hashedSize: live.size };
    const { hashing } = this.options;
    if (state.size === 0) return { hasher: await hashing.create(state.algorithm), hashedSize: 0 };
    if (state.hashState !== undefined && state.hashedSize !== undefined && hashing.restore) {
      const hasher = await hashing.restore(state.algorithm, Buffer.from(state.hashState, 'base64'));
      return { hasher, hashedSize: state.hashedSize };
    }
    return { hasher: undefined, hashedSize: 0 };
  }

  /** Bytes in the session's pending writer, or `undefined` when it has none. */
  async #pendingSize(repository: string, id: string): Promise<number | undefined> {
    const writer = await orUndefined(
      this.options.driver.writer(uploadDataPath(repository, id), { append: true }),
    );
    if (!writer) return undefined;
    const { size } = writer;
    await writer.close();
    return size;
  }

  #expired(state: UploadState): boolean {
    return new Date(state.updatedAt).getTime() + this.options.expiryMs < this.options.clock().getTime();
  }
}

/**
 * One request's handle on an upload session. The driver writer is opened lazily (a `GET` for the
 * range opens nothing) and resumed with `append`. The hasher runs while bytes arrive; when it is
 * missing or behind (restart, another node, another algorithm) the data is re-read at commit.
 */
export class UploadSession implements BlobWriter {
  readonly mounted = false as const;
  #state: UploadState;
  #writer: FileWriter | undefined;
  #hasher: Hasher | undefined;
  #hashedSize: number;
  #size: number;
  #finished = false;

  constructor(
    private readonly store: UploadStore,
    state: UploadState,
    hasher: Hasher | undefined,
    hashedSize: number,
  ) {
    this.#state = state;
    this.#hasher = hasher;
    this.#hashedSize = hashedSize;
    this.#size = state.size;
  }

  get id(): string {
    return this.#state.id;
  }

  get size(): number {
    return this.#size;
  }

  get startedAt(): Date {
    return new Date(this.#state.startedAt);
  }

  async write(
    source: Readable | Uint8Array,
    options: { expectedOffset?: number; signal?: AbortSignal } = {},
  ): Promise<number> {
    this.#assertOpen();
    const writer = await this.#open();
    if (options.expectedOffset !== undefined && options.expectedOffset !== this.#size) {
      throw new UploadRangeError(this.id, options.expectedOffset, this.#size);
    }
    const { signal } = options;
    signal?.throwIfAborted();
    const stream = source instanceof Uint8Array ? Readable.from([source]) : source;
    const onAbort = () => stream.destroy(signal?.reason as Error | undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of stream) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
        if (bytes.length === 0) continue;
        try {
          await writer.write(bytes);
        } catch (error) {
          this.#hasher = undefined; // the writer may hold part of this chunk
          throw error;
        }
        this.#size += bytes.length;
        if (this.#hasher) {
          this.#hasher.update(bytes);
          this.#hashedSize += bytes.length;
        }
      }
      signal?.throwIfAborted();
    } catch (error) {
      // Keep what arrived: the client resynchronises with GET and continues from there.
      await this.close().catch((closeError: unknown) => {
        this.store.deps.logger.warn('could not save an interrupted upload', {
          upload: this.id,
          error: String(closeError),
        });
      });
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return this.#size;
  }

  async close(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#writer) {
      await this.#writer.close();
      this.#size = this.#writer.size;
      this.#writer = undefined;
    }
    const hasher = this.#hasherAt(this.#size);
    const saved = hasher?.save?.();
    this.store.keepLive(this.#state, hasher, this.#size);
    const now = this.store.deps.clock();
    // The pending writer knows the size, so without a hash state to save, the state file is only
    // refreshed for expiry, at most once a minute: a chunked push does not pay an fsync per chunk.
    const stale = now.getTime() - Date.parse(this.#state.updatedAt) >= STATE_REFRESH_MS;
    if (!saved && !stale && this.#state.hashState === undefined) return;
    this.#state = {
      ...this.#state,
      size: this.#size,
      updatedAt: now.toISOString(),
      ...(saved ? { hashState: Buffer.from(saved).toString('base64'), hashedSize: this.#size } : {}),
    };
    if (!saved) {
      const { hashState: _dropped, hashedSize: _size, ...rest } = this.#state;
      this.#state = rest;
    }
    await this.store.saveState(this.#state);
  }

  async commit(expected: Digest, options: { mediaType?: string } = {}): Promise<Descriptor> {
    this.#assertOpen();
    const { driver, logger } = this.store.deps;
    const { repository, id } = this.#state;
    const writer = await this.#open();
    this.#finished = true;
    const size = writer.size;
    const hasher = this.#hasherAt(size);
    // Publish at the session's own path first: nothing outside `_uploads/<id>` changes yet.
    await writer.commit();
    this.#writer = undefined;
    const actual =
      hasher && hasher.algorithm === expected.algorithm
        ? hasher.digest()
        : await rehash(driver, uploadDataPath(repository, id), expected.algorithm);
    if (actual.toString() !== expected.toString()) {
      await this.store.discard(repository, id);
      logger.info('upload rejected: digest mismatch', {
        repo: repository,
        upload: id,
        digest: String(expected),
      });
      throw new DigestMismatchError(expected, actual);
    }
    // Data first, then the link: a crash in between leaves an unreferenced blob that GC reclaims.
    // Replacing an identical copy is harmless and refreshes its time stamp, which GC's grace uses.
    await this.store.deps.blobs.publish(uploadDataPath(repository, id), expected, size);
    const descriptor: Descriptor = {
      mediaType: options.mediaType ?? MediaType.octetStream,
      digest: expected,
      size,
    };
    const linked = await this.store.deps.link(repository, descriptor);
    await this.store.discard(repository, id);
    if (!linked) {
      throw new BlobUploadInvalidError(
        `blob ${String(expected)} was garbage-collected while committing: push it again`,
      );
    }
    logger.debug('upload committed', { repo: repository, upload: id, digest: String(expected), size });
    return descriptor;
  }

  async cancel(): Promise<void> {
    this.#finished = true;
    if (this.#writer) {
      await this.#writer.cancel().catch(() => undefined);
      this.#writer = undefined;
    }
    await this.store.discard(this.#state.repository, this.#state.id);
  }

  async #open(): Promise<FileWriter> {
    if (this.#writer) return this.#writer;
    const { driver } = this.store.deps;
    const { repository, id } = this.#state;
    try {
      this.#writer = await driver.writer(uploadDataPath(repository, id), { append: true });
    } catch (error) {
      if (error instanceof PathNotFoundError) throw new BlobUploadUnknownError(id);
      throw error;
    }
    // More bytes than the state says: a request was killed after writing but before its close().
    this.#size = this.#writer.size;
    return this.#writer;
  }

  /** The hasher when it has seen exactly `size` bytes, else `undefined`. */
  #hasherAt(size: number): Hasher | undefined {
    return this.#hasher && this.#hashedSize === size ? this.#hasher : undefined;
  }

  #assertOpen(): void {
    if (this.#finished) throw new BlobUploadUnknownError(this.#state.id);
  }
}

async function rehash(driver: StorageDriver, path: string, algorithm: DigestAlgorithm): Promise<Digest> {
  const hash = createHash(algorithm);
  for await (const chunk of await driver.reader(path)) hash.update(chunk as Uint8Array);
  return makeDigest(algorithm, hash.digest('hex'));
}

function encodeState(state: UploadState): Uint8Array {
  return Buffer.from(JSON.stringify(state));
}

function liveKey(repository: string, id: string): string {
  return `${repository}\u0000${id}`;
}
