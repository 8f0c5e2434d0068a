import type { FileWriter } from '../storage-driver.js';
import { StorageDriverError } from '../storage-driver.js';
import { encodeWriterState, type UploadedPart, type WriterState } from './writer-state.js';

/** S3's smallest allowed part (every part but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's largest part. */
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/** S3 allows 10,000 parts; part sizes double every 2,500 parts so a writer reaches ~300 GiB at 8 MiB. */
const PARTS_PER_SIZE_STEP = 2500;

/** The S3 calls a writer makes, already bound to the bucket, key and error mapping. */
export interface WriterOperations {
  createUpload(): Promise<string>;
  uploadPart(uploadId: string, partNumber: number, body: Buffer): Promise<string>;
  completeUpload(uploadId: string, parts: readonly UploadedPart[]): Promise<void>;
  abortUpload(uploadId: string): Promise<void>;
  /** A single `PutObject` of the whole content (small files that never filled a part). */
  putObject(body: Buffer): Promise<void>;
  putState(bytes: Buffer): Promise<void>;
  deleteState(): Promise<void>;
}

export interface S3FileWriterOptions {
  readonly driver: string;
  readonly path: string;
  readonly partSize: number;
  /** Parts uploaded concurrently while the caller keeps writing. */
  readonly queueSize: number;
  readonly operations: WriterOperations;
  /** The state a resumed writer continues from; undefined for a fresh writer. */
  readonly resumed?: WriterState;
}

/**
 * A writer that streams into an S3 multipart upload of the target key itself, so nothing is ever
 * visible at the key before `commit` (S3 shows a multipart object only once completed):
 *
 * - `write` copies into a part buffer; each full part is uploaded in the background, at most
 *   `queueSize` at a time, and `write` waits when the queue is full. Memory per writer is bounded
 *   by (queueSize + 1) × partSize whatever the blob size.
 * - `close` waits for the parts in flight and stores the state (upload id, part list, tail) in
 *   one small object, so any node can resume it with `append`.
 * - `commit` uploads the tail as the last part and completes the upload: one request whatever the
 *   size (or a single `PutObject` when the content never filled a part). The state object goes.
 * - A part that keeps failing after the SDK's retries fails the writer; the upload is left as the
 *   last `close` described it, so the client can resume from there, and nothing is published.
 */
export class S3FileWriter implements FileWriter {
  readonly path: string;
  readonly #options: S3FileWriterOptions;
  readonly #ops: WriterOperations;
  #uploadId: string | undefined;
  #creating: Promise<string> | undefined;
  readonly #parts: UploadedPart[];
  readonly #inflight = new Set<Promise<void>>();
  /** Part buffers whose upload finished, reused so memory stays at (queueSize + 1) parts. */
  readonly #spare: Buffer[] = [];
  #buffer: Buffer | undefined;
  #filled = 0;
  #size: number;
  /** The number the next dispatched part gets (parts in flight already have theirs). */
  #nextPart: number;
  #failure: unknown;
  #done = false;
  /** Whether `close()` has anything to persist: a fresh writer, or one written to since resuming. */
  #dirty: boolean;

  constructor(options: S3FileWriterOptions) {
    this.path = options.path;
    this.#options = options;
    this.#ops = options.operations;
    this.#uploadId = options.resumed?.uploadId;
    this.#parts = [...(options.resumed?.parts ?? [])];
    this.#nextPart = this.#parts.length + 1;
    this.#dirty = options.resumed === undefined;
    this.#size = this.#parts.reduce((total, part) => total + part.size, 0);
    const tail = options.resumed?.tail;
    if (tail && tail.length > 0) {
      // A node with a larger part size may have left a longer tail: the buffer takes it whole.
      this.#buffer = Buffer.allocUnsafe(Math.max(this.#partSizeFor(this.#nextPart), tail.length));
      this.#buffer.set(tail);
      this.#filled = tail.length;
      this.#size += tail.length;
    }
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#assertUsable();
    if (chunk.length === 0) return;
    this.#dirty = true;
    this.#size += chunk.length;
    await this.#copyInAndDispatch(chunk);
  }

  async close(): Promise<void> {
    this.#assertUsable();
    this.#done = true;
    await this.#drain();
    // A resumed writer nothing was written to (a store probing the size) leaves the state as it is.
    if (!this.#dirty) return;
    await this.#ops.putState(
      encodeWriterState({ uploadId: this.#uploadId, parts: this.#sortedParts(), tail: this.#tail() }),
    );
    this.#buffer = undefined;
  }

  async commit(): Promise<void> {
    this.#assertUsable();
    this.#done = true;
    await this.#drain();
    const tail = Buffer.from(this.#tail());
    this.#buffer = undefined;
    if (this.#uploadId === undefined && this.#creating === undefined) {
      await this.#ops.putObject(tail);
    } else {
      const uploadId = await this.#ensureUpload();
      if (tail.length > 0 || this.#parts.length === 0) {
        const n = this.#nextPart;
        this.#nextPart += 1;
        const etag = await this.#ops.uploadPart(uploadId, n, tail);
        this.#parts.push({ n, etag, size: tail.length });
      }
      await this.#ops.completeUpload(uploadId, this.#sortedParts());
    }
    await this.#ops.deleteState();
  }

  async abandon(): Promise<void> {
    this.#done = true;
    this.#buffer = undefined;
    // Parts in flight finish on their own; no state is written, nothing is aborted.
    await Promise.allSettled([...this.#inflight]);
  }

  async cancel(): Promise<void> {
    this.#done = true;
    await Promise.allSettled([...this.#inflight]);
    this.#buffer = undefined;
    const uploadId = this.#uploadId ?? (await this.#creating?.catch(() => undefined));
    if (uploadId !== undefined) await this.#ops.abortUpload(uploadId);
    await this.#ops.deleteState();
  }

  async #copyInAndDispatch(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      offset += this.#copyIn(chunk.subarray(offset));
      if (this.#buffer && this.#filled === this.#buffer.length) {
        const part = this.#buffer;
        this.#buffer = undefined;
        this.#filled = 0;
        this.#dispatch(part);
        while (this.#inflight.size >= this.#options.queueSize) await Promise.race(this.#inflight);
        if (this.#failure !== undefined) throw this.#failure;
      }
    }
  }

  /** Copies as much of `chunk` as fits into the current part buffer; returns the bytes taken. */
  #copyIn(chunk: Uint8Array): number {
    if (!this.#buffer) {
      this.#buffer = this.#allocate(this.#partSizeFor(this.#nextPart));
      this.#filled = 0;
    }
    const taken = Math.min(chunk.length, this.#buffer.length - this.#filled);
    this.#buffer.set(chunk.subarray(0, taken), this.#filled);
    this.#filled += taken;
    return taken;
  }

  #dispatch(body: Buffer): void {
    const n = this.#nextPart;
    this.#nextPart += 1;
    const task = (async () => {
      const uploadId = await this.#ensureUpload();
      const etag = await this.#ops.uploadPart(uploadId, n, body);
      this.#parts.push({ n, etag, size: body.length });
    })()
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#inflight.delete(task);
        // The SDK is done with the body: the next part reuses it instead of a fresh allocation.
        if (this.#spare.length < this.#options.queueSize && !this.#done) this.#spare.push(body);
      });
    this.#inflight.add(task);
  }

  /** A part buffer: a spare one of that size when there is one. */
  #allocate(size: number): Buffer {
    const index = this.#spare.findIndex((buffer) => buffer.length === size);
    if (index === -1) return Buffer.allocUnsafe(size);
    return this.#spare.splice(index, 1)[0]!;
  }

  #partSizeFor(partNumber: number): number {
    const step = Math.floor((partNumber - 1) / PARTS_PER_SIZE_STEP);
    return Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, this.#options.partSize) * 2 ** step);
  }

  #ensureUpload(): Promise<string> {
    if (this.#uploadId !== undefined) return Promise.resolve(this.#uploadId);
    this.#creating ??= this.#ops.createUpload().then((uploadId) => {
      this.#uploadId = uploadId;
      return uploadId;
    });
    return this.#creating;
  }

  async #drain(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
    this.#spare.length = 0;
    if (this.#failure !== undefined) throw this.#failure;
  }

  #tail(): Uint8Array {
    return this.#buffer ? this.#buffer.subarray(0, this.#filled) : new Uint8Array();
  }

  #sortedParts(): UploadedPart[] {
    return [...this.#parts].sort((a, b) => a.n - b.n);
  }

  #assertUsable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#done) throw new StorageDriverError('writer is already closed', this.#options.driver, this.path);
  }
}
