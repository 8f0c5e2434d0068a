import { createHash, randomUUID } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '@glci/config';
import { type BlobWriter, type Descriptor, FileRangeStream, type LocalBlobIngester } from '@glci/registry';

const READ_CHUNK = 1024 * 1024;
const SINK_BATCH = 1024 * 1024;
/** Bytes a download may hold in memory ahead of its disk writes before it stops reading upstream. */
const MAX_QUEUED = 16 * 1024 * 1024;
/** A file the store will adopt is flushed in the background every this many bytes (write-behind). */
const WRITE_BEHIND_BYTES = 32 * 1024 * 1024;

/**
 * Where a verified blob goes: the store adopts the download's own file (a local filesystem store:
 * the bytes are written and hashed once), or they are streamed into an upload session as they
 * arrive (any other store, e.g. S3).
 */
export type DownloadDestination =
  | { readonly files: LocalBlobIngester }
  | {
      /** The store's upload session; opened while the first bytes already flow to readers. */
      readonly sink: BlobWriter | Promise<BlobWriter>;
      /** Where the file readers follow is kept meanwhile. */
      readonly tempDirectory: string;
    };

/**
 * One upstream blob download shared by every client that wants the blob, however late it arrives.
 *
 * The bytes go to a file (which readers follow: a reader that arrives half-way gets what has
 * arrived so far at disk speed, then waits for the rest). On a filesystem store that file is staged
 * on the store's filesystem and adopted by rename once verified; otherwise the bytes also go, in
 * batches, to an upload session of the store. The digest is verified before anything is committed; a reader's stream only ends
 * once the digest is verified, and errors if it is not. The download runs under its own signal (the
 * cache-write timeout), never a client's: a client that disconnects only stops its own reader.
 */
export class SharedDownload {
  readonly descriptor: Descriptor;
  /** The upstream URL the bytes come from and the repository the blob is committed into. */
  readonly upstream: string;
  readonly repository: string;
  /** Repositories whose clients read this download (linked to the blob once it is committed). */
  readonly joined = new Set<string>();
  /** Bytes received from upstream so far. */
  received = 0;
  #state: 'receiving' | 'verified' | 'failed' = 'receiving';
  #error: Error | undefined;
  #waiters: (() => void)[] = [];
  #readers = 0;
  #settled = false;
  #file: FileHandle | undefined;
  /** The file's path while it is ours to delete (cleared once the store adopted it). */
  #path: string | undefined;
  /** Resolves when the blob is committed to the store (or rejects); readers never wait for it. */
  readonly committed: Promise<Descriptor>;

  constructor(options: {
    descriptor: Descriptor;
    upstream: string;
    repository: string;
    source: Readable;
    destination: DownloadDestination;
    signal: AbortSignal;
    logger: Logger;
    onBytes?: (bytes: number) => void;
  }) {
    this.descriptor = options.descriptor;
    this.upstream = options.upstream;
    this.repository = options.repository;
    this.joined.add(options.repository);
    this.committed = this.#run(options);
    // Failures reach readers through #error and callers through `committed`; never unhandled.
    this.committed.catch(() => {});
  }

  get state(): 'receiving' | 'verified' | 'failed' {
    return this.#state;
  }

  async #run(options: ConstructorParameters<typeof SharedDownload>[0]): Promise<Descriptor> {
    const { source, signal, descriptor, destination } = options;
    const files = 'files' in destination ? destination.files : undefined;
    const upload = 'sink' in destination ? destination : undefined;
    const opening = upload && Promise.resolve(upload.sink);
    // Settled either way below; never an unhandled rejection while bytes are still arriving.
    opening?.catch(() => {});
    const hash = createHash(descriptor.digest.algorithm);
    let arrived = 0;
    let unsynced = 0;
    let syncing: Promise<void> = Promise.resolve();
    // Disk writes run behind the network reads, in batches, so a slow disk (or a busy thread pool)
    // never stalls the upstream stream chunk by chunk; bounded so memory stays small.
    const toFile = new BatchingWriter(async (batch) => {
      const file = this.#file!;
      await file.write(batch, 0, batch.length, this.received);
      this.received += batch.length;
      this.#notify();
      unsynced += batch.length;
      if (files && unsynced >= WRITE_BEHIND_BYTES) {
        // Flush while more arrives, so the flush before adoption is short (as FsDriver's writers do).
        unsynced = 0;
        await syncing;
        syncing = file.datasync();
        syncing.catch(() => {}); // awaited (and rethrown) before adoption
      }
    }, 0);
    const toSink =
      opening &&
      new BatchingWriter(async (batch) => {
        const sink = await opening;
        await sink.write(new Uint8Array(batch.buffer, batch.byteOffset, batch.byteLength), { signal });
      }, SINK_BATCH);
    try {
      this.#path = upload
        ? path.join(upload.tempDirectory, `glci-proxy-${randomUUID()}.part`)
        : await files!.stagingPath();
      this.#file = await open(this.#path, 'w+');
      const abort = () =>
        source.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', abort, { once: true });
      try {
        for await (const chunk of source) {
          const buffer = chunk as Buffer;
          hash.update(buffer);
          arrived += buffer.length;
          options.onBytes?.(buffer.length);
          toFile.push(buffer);
          toSink?.push(buffer);
          await toFile.below(MAX_QUEUED);
          await toSink?.below(MAX_QUEUED);
        }
      } finally {
        signal.removeEventListener('abort', abort);
      }
      await toFile.drain();
      const actual = hash.digest('hex');
      if (arrived !== descriptor.size) {
        throw new Error(`blob ${descriptor.digest} ended after ${arrived} of ${descriptor.size} bytes`);
      }
      if (actual !== descriptor.digest.hex) {
        throw new Error(
          `blob ${descriptor.digest} arrived with digest ${descriptor.digest.algorithm}:${actual}`,
        );
      }
      this.#state = 'verified';
      this.#notify();
      if (files) {
        await syncing;
        const adopted = await files.adopt(this.#path, descriptor);
        this.#path = undefined; // the store's file now
        return adopted;
      }
      await toSink!.drain();
      return await (await opening!).commit(descriptor.digest);
    } catch (error) {
      if (this.#state === 'receiving') {
        this.#state = 'failed';
        this.#error = error instanceof Error ? error : new Error(String(error));
        this.#notify();
      }
      source.destroy();
      await opening?.then((sink) => sink.cancel()).catch(() => {});
      options.logger.warn('blob download failed', {
        digest: String(descriptor.digest),
        error: String(error),
      });
      throw error;
    } finally {
      this.#settled = true;
      await this.#cleanup();
    }
  }

  /**
   * A stream of `[offset, offset + length)` that follows the download, or `undefined` once the
   * download is over and its file gone (read the store instead). It is a {@link FileRangeStream}
   * whose reads wait for the bytes to reach the temporary file, so the blob GET handler relays it
   * through reused buffers, before and after verification (a client back for the blob while its
   * commit finishes reads the finished file the same way); the read that would hand out the
   * range's last byte waits for the digest check, so a client never receives a complete body that
   * turns out to be wrong.
   */
  read(offset = 0, length = this.descriptor.size - offset): Readable | undefined {
    if (this.#settled && !this.#file) return undefined;
    this.#readers += 1;
    const end = offset + length;
    return new FileRangeStream(
      {
        start: offset,
        end,
        read: async (buffer, size, position) => {
          for (;;) {
            if (this.#state === 'failed') throw this.#error;
            const file = this.#file; // opened by #run shortly after the download starts
            if (!file && this.#settled) throw new Error(`the download of ${this.descriptor.digest} is gone`);
            const count = Math.min(size, this.received - position, end - position);
            const last = position + count === end;
            if (file && count > 0 && (!last || this.#state === 'verified')) {
              return (await file.read(buffer, 0, count, position)).bytesRead;
            }
            await this.#changed();
          }
        },
      },
      {
        chunkSize: READ_CHUNK,
        close: async () => {
          this.#readers -= 1;
          await this.#cleanup();
        },
      },
    );
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  async #cleanup(): Promise<void> {
    if (!this.#settled || this.#readers > 0) return;
    const file = this.#file;
    const filePath = this.#path;
    this.#file = undefined;
    this.#path = undefined;
    await file?.close().catch(() => {});
    // A failed adoption may have moved the file already; then the path is simply gone.
    if (filePath !== undefined) await unlink(filePath).catch(() => {});
  }
}

/**
 * Serial writes that run behind whoever pushes: pushed buffers are written in batches of at least
 * `minBatch` bytes (everything left on `drain`), one write at a time. A failed write is rethrown by
 * the next `below` or `drain`.
 */
class BatchingWriter {
  #queue: Buffer[] = [];
  #queued = 0;
  #running = false;
  #draining = false;
  #error: unknown;
  #failed = false;
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (batch: Buffer) => Promise<void>,
    private readonly minBatch: number,
  ) {}

  push(buffer: Buffer): void {
    this.#queue.push(buffer);
    this.#queued += buffer.length;
    this.#pump();
  }

  /** Waits while more than `limit` bytes wait to be written. */
  async below(limit: number): Promise<void> {
    while (this.#queued > limit && !this.#failed) await this.#tail;
    if (this.#failed) throw this.#error;
  }

  /** Waits until everything pushed is written. */
  async drain(): Promise<void> {
    this.#draining = true;
    for (;;) {
      this.#pump();
      await this.#tail;
      if (this.#failed) throw this.#error;
      if (!this.#running && this.#queued === 0) return;
    }
  }

  #pump(): void {
    if (this.#running || this.#failed || this.#queued === 0) return;
    if (!this.#draining && this.#queued < this.minBatch) return;
    const batch = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue, this.#queued);
    this.#queue = [];
    this.#queued = 0;
    this.#running = true;
    this.#tail = this.write(batch).then(
      () => {
        this.#running = false;
        this.#pump();
      },
      (error: unknown) => {
        this.#running = false;
        this.#failed = true;
        this.#error = error;
      },
    );
  }
}
