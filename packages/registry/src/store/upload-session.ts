import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Digest, type DigestAlgorithm, makeDigest } from '../digest.js';
import { type FileWriter, PathNotFoundError, type StorageDriver } from '../driver/storage-driver.js';
import {
  BlobUploadInvalidError,
  BlobUploadUnknownError,
  DigestMismatchError,
  UploadIdleError,
  UploadRangeError,
  UploadSessionBusyError,
} from '../errors.js';
import { MediaType } from '../media-types.js';
import type { BlobWriter, Descriptor } from './contracts.js';
import type { Hasher } from './hasher.js';
import { uploadDataPath } from './paths.js';
import { reach } from './store-hooks.js';
import { type UploadLease, UploadLeaseLostError } from './upload-lease.js';
import type { UploadSessionHost, UploadState } from './upload-session-host.js';

/** How often `close()` refreshes a session's `updatedAt` when there is no hash state to save. */
const STATE_REFRESH_MS = 60_000;

/**
 * One request's handle on an upload session. Reading its size (a status `GET`) takes nothing;
 * writing, committing or cancelling first takes the session's lease (`UploadLeases`), so one
 * request at a time changes a session and a second one gets `UploadSessionBusyError` (416) without
 * touching it. The lease is released by `close`, `commit` or `cancel`, one of which every writing
 * request ends with. A session created by this request needs no lease: nobody else knows its id.
 *
 * The driver writer is opened after the lease is taken and closed before it is released, so no
 * other request's file descriptor is ever open on the session's data. The hasher runs while bytes
 * arrive; when it is missing or behind (a restart, another node, another algorithm) the data is
 * read back once at commit. Either way the digest checked is the digest of exactly the bytes the
 * commit publishes.
 */
export class UploadSession implements BlobWriter {
  readonly mounted = false as const;
  readonly #store: UploadSessionHost;
  #state: UploadState;
  #writer: FileWriter | undefined;
  #hasher: Hasher | undefined;
  #hashedSize = 0;
  #hasherTaken: boolean;
  #size: number;
  #finished = false;
  /** Created by this request: its id was never handed out, so no other request can reach it. */
  readonly #private: boolean;
  #lease: UploadLease | undefined;

  constructor(
    store: UploadSessionHost,
    state: UploadState,
    size: number,
    options: { private?: boolean; hasher?: Hasher } = {},
  ) {
    this.#store = store;
    this.#state = state;
    this.#size = size;
    this.#private = options.private ?? false;
    this.#hasher = options.hasher;
    this.#hasherTaken = options.hasher !== undefined;
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
    const writer = await this.#begin();
    if (options.expectedOffset !== undefined && options.expectedOffset !== this.#size) {
      const size = this.#size;
      await this.#suspend(); // nothing written: give the session back at once (the handle stays usable)
      throw new UploadRangeError(this.id, options.expectedOffset, size);
    }
    const { signal } = options;
    signal?.throwIfAborted();
    const { idleTimeoutMs, hooks } = this.#store.deps;
    const stream = source instanceof Uint8Array ? Readable.from([source]) : source;
    const stop = (reason: unknown) => stream.destroy(reason as Error | undefined);
    const lease = this.#lease;
    const onAbort = () => stop(signal?.reason);
    const onLost = () => stop(lease?.signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    lease?.signal.addEventListener('abort', onLost, { once: true });
    // A request that stops sending without closing its connection would hold the lease forever.
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => stop(new UploadIdleError(this.id, idleTimeoutMs)), idleTimeoutMs);
      idle.unref();
    };
    try {
      arm();
      for await (const chunk of stream) {
        arm();
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
        if (hooks)
          await reach(hooks, 'upload:chunk-written', { upload: this.id, repository: this.#repository });
      }
      signal?.throwIfAborted();
      lease?.signal.throwIfAborted();
    } catch (error) {
      // Keep what arrived: the client resynchronises with GET and continues from there.
      await this.close().catch((closeError: unknown) => {
        this.#store.deps.logger.warn('could not save an interrupted upload', {
          upload: this.id,
          error: String(closeError),
        });
      });
      throw error;
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener('abort', onAbort);
      lease?.signal.removeEventListener('abort', onLost);
    }
    return this.#size;
  }

  async close(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await this.#suspend();
  }

  /**
   * Persists what was written and releases the lease, as `close()` does, but leaves the handle
   * usable: a later write takes the lease again.
   */
  async #suspend(): Promise<void> {
    // A handle that never wrote (a status request) has nothing to persist or release.
    if (!this.#writer && !this.#lease && !this.#private) return;
    try {
      if (this.#writer) {
        const writer = this.#writer;
        this.#writer = undefined;
        if (this.#lease && !(await this.#stillHeld(this.#lease))) {
          // Someone else writes the session now: persist nothing over their work.
          await writer.abandon?.();
          this.#finished = true;
          return;
        }
        await writer.close();
        this.#size = writer.size;
      }
      await this.#saveProgress();
      // The live hasher now belongs to the session (keepLive), the next writer takes it back.
      this.#hasherTaken = false;
    } finally {
      await this.#releaseLease();
    }
  }

  async commit(expected: Digest, options: { mediaType?: string } = {}): Promise<Descriptor> {
    const writer = await this.#begin();
    const { driver, logger, blobs, hooks } = this.#store.deps;
    const { repository, id } = this.#state;
    this.#finished = true;
    this.#writer = undefined;
    let published = false;
    try {
      if (this.#lease && !(await this.#stillHeld(this.#lease))) {
        await writer.abandon?.();
        throw new UploadSessionBusyError(id, this.#size);
      }
      const size = writer.size;
      const hasher = this.#hasherAt(size);
      // Published at the session's own path first (nothing outside `_uploads/<id>` changes yet),
      // with the writer's file closed: no descriptor of any request can write into it any more.
      await writer.commit();
      published = true;
      await this.#lease?.quiesce();
      const actual =
        hasher && hasher.algorithm === expected.algorithm
          ? hasher.digest()
          : await rehash(driver, uploadDataPath(repository, id), expected.algorithm);
      if (actual.toString() !== expected.toString()) {
        logger.info('upload rejected: digest mismatch', {
          repo: repository,
          upload: id,
          digest: String(expected),
        });
        throw new DigestMismatchError(expected, actual);
      }
      if (hooks) await reach(hooks, 'upload:verified', { repository, upload: id, digest: String(expected) });
      // Data first, then the link: a crash in between leaves an unreferenced blob that GC reclaims.
      // Replacing an identical copy is harmless and refreshes its time stamp, which GC's grace uses.
      await blobs.publish(uploadDataPath(repository, id), expected, size);
      const descriptor: Descriptor = {
        mediaType: options.mediaType ?? MediaType.octetStream,
        digest: expected,
        size,
      };
      const linked = await this.#store.deps.link(repository, descriptor);
      await this.#store.discard(repository, id);
      await this.#releaseLease({ sessionGone: true });
      if (!linked) {
        throw new BlobUploadInvalidError(
          `blob ${String(expected)} was garbage-collected while committing: push it again`,
        );
      }
      logger.debug('upload committed', { repo: repository, upload: id, digest: String(expected), size });
      return descriptor;
    } catch (error) {
      if (published) {
        // Its data is no longer a pending writer: nothing is left to resume.
        await this.#store.discard(repository, id).catch(() => undefined);
        await this.#releaseLease({ sessionGone: true }).catch(() => undefined);
      } else {
        await this.#releaseLease().catch(() => undefined);
      }
      throw error;
    }
  }

  async cancel(): Promise<void> {
    this.#finished = true;
    const { repository, id } = this.#state;
    if (!this.#private && !this.#lease) {
      this.#lease = await this.#store.leases.acquire(repository, id, () => this.#size);
    }
    try {
      if (this.#writer) await this.#writer.cancel().catch(() => undefined);
      this.#writer = undefined;
      await this.#lease?.quiesce();
      await this.#store.discard(repository, id);
    } finally {
      await this.#releaseLease({ sessionGone: true });
    }
  }

  get #repository(): string {
    return this.#state.repository;
  }

  /** The lease (unless private), the writer and the hasher, for a request that writes. */
  async #begin(): Promise<FileWriter> {
    if (this.#finished) throw new BlobUploadUnknownError(this.#state.id);
    if (!this.#private && !this.#lease) {
      this.#lease = await this.#takeLease();
      this.#lease.size = () => this.#size;
    }
    if (this.#writer) return this.#writer;
    const { driver } = this.#store.deps;
    const { repository, id } = this.#state;
    try {
      this.#writer = await driver.writer(uploadDataPath(repository, id), { append: true });
    } catch (error) {
      if (error instanceof PathNotFoundError) {
        this.#finished = true;
        await this.#releaseLease();
        throw new BlobUploadUnknownError(id);
      }
      throw error;
    }
    // More bytes than the state says: a request was killed after writing but before its close().
    this.#size = this.#writer.size;
    if (!this.#hasherTaken) {
      this.#hasherTaken = true;
      const restored = await this.#store.takeHasher(this.#state, this.#size);
      this.#hasher = restored?.hasher;
      this.#hashedSize = restored?.hashedSize ?? 0;
    }
    return this.#writer;
  }

  async #takeLease(): Promise<UploadLease> {
    const { repository, id } = this.#state;
    // A session committed or cancelled meanwhile has no pending writer left: `#begin` finds that
    // out when it opens the writer, and releases.
    return this.#store.leases.acquire(repository, id, () => this.#size);
  }

  async #releaseLease(options: { sessionGone?: boolean } = {}): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    await lease?.release(options);
  }

  async #stillHeld(lease: UploadLease): Promise<boolean> {
    try {
      await lease.assertHeld();
      return true;
    } catch (error) {
      if (error instanceof UploadLeaseLostError) return false;
      throw error;
    }
  }

  /** Saves the hash state and refreshes `updatedAt` (for expiry), as little as possible. */
  async #saveProgress(): Promise<void> {
    const hasher = this.#hasherAt(this.#size);
    const saved = hasher?.save?.();
    this.#store.keepLive(this.#state, hasher, this.#size);
    const now = this.#store.deps.clock();
    // The pending writer knows the size, so without a hash state to save, the state file is only
    // refreshed for expiry, at most once a minute: a chunked push does not pay an fsync per chunk.
    const stale = now.getTime() - Date.parse(this.#state.updatedAt) >= STATE_REFRESH_MS;
    if (!saved && !stale && this.#state.hashState === undefined) return;
    const { hashState: _dropped, hashedSize: _size, ...rest } = this.#state;
    this.#state = {
      ...rest,
      size: this.#size,
      updatedAt: now.toISOString(),
      ...(saved ? { hashState: Buffer.from(saved).toString('base64'), hashedSize: this.#size } : {}),
    };
    await this.#store.saveState(this.#state);
  }

  /** The hasher when it has seen exactly `size` bytes, else `undefined`. */
  #hasherAt(size: number): Hasher | undefined {
    return this.#hasher && this.#hashedSize === size ? this.#hasher : undefined;
  }
}

async function rehash(driver: StorageDriver, path: string, algorithm: DigestAlgorithm): Promise<Digest> {
  const hash = createHash(algorithm);
  for await (const chunk of await driver.reader(path)) hash.update(chunk as Uint8Array);
  return makeDigest(algorithm, hash.digest('hex'));
}
