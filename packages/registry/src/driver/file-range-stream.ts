import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Positional reads of one byte range of an open file: what a relay needs to reuse its own buffers. */
export interface PositionalRange {
  /** First byte of the range. */
  readonly start: number;
  /** One past the last byte of the range. */
  readonly end: number;
  /** Reads up to `length` bytes at `position` into `buffer`; 0 means the file ended early. */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
}

/**
 * A readable stream of `[start, end)` of an open file that also offers the range for positional
 * reads ({@link FileRangeStream.positional}). As a stream it behaves like `fs.createReadStream`, a
 * fresh buffer per read. A consumer that sends the bytes on (the blob GET handler) can instead read
 * the range into a few buffers it reuses, and then destroy the stream without reading it, which
 * closes the file.
 *
 * Why: a fresh 1 MiB buffer per read is 1 GiB of short-lived external memory per GiB served, and
 * V8 answers external memory growth with a full mark-compact every few tens of MiB. That cost
 * glci as much CPU as the copying itself on large pulls (about 35 full GCs per GiB).
 */
export class FileRangeStream extends Readable {
  /** `[start, end)` of an open file; destroying the stream closes the handle. */
  static fromHandle(handle: FileHandle, start: number, end: number, chunkSize: number): FileRangeStream {
    return new FileRangeStream(
      {
        start,
        end,
        read: async (buffer, length, position) => (await handle.read(buffer, 0, length, position)).bytesRead,
      },
      { chunkSize, close: () => handle.close() },
    );
  }

  readonly positional: PositionalRange;
  readonly #chunkSize: number;
  readonly #close: () => Promise<void>;
  #position: number;
  #closed = false;

  /**
   * A stream over any positional source (a file, or one still being written whose `read` waits for
   * the bytes); `close` runs once when the stream is destroyed or ends.
   */
  constructor(range: PositionalRange, options: { chunkSize: number; close?: () => Promise<void> }) {
    super({ highWaterMark: options.chunkSize });
    this.#chunkSize = options.chunkSize;
    this.#close = options.close ?? (async () => undefined);
    this.#position = range.start;
    this.positional = {
      start: range.start,
      end: range.end,
      read: async (buffer, length, position) => {
        if (this.#closed) throw new Error('the file range was closed');
        return await range.read(buffer, length, position);
      },
    };
  }

  override _read(): void {
    const { end } = this.positional;
    const length = Math.min(this.#chunkSize, end - this.#position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafeSlow(length);
    this.positional.read(buffer, length, this.#position).then(
      (bytesRead) => {
        if (bytesRead === 0) {
          this.destroy(new Error(`the file ended at ${this.#position}, before ${end}`));
          return;
        }
        this.#position += bytesRead;
        this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
      },
      (error: unknown) => this.destroy(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#closed = true;
    this.#close().then(
      () => callback(error),
      (closeError: unknown) => callback(error ?? (closeError as Error)),
    );
  }
}
