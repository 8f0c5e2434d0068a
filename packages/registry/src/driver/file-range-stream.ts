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
  readonly positional: PositionalRange;
  readonly #handle: FileHandle;
  readonly #chunkSize: number;
  #position: number;
  #closed = false;

  constructor(handle: FileHandle, start: number, end: number, chunkSize: number) {
    super({ highWaterMark: chunkSize });
    this.#handle = handle;
    this.#chunkSize = chunkSize;
    this.#position = start;
    this.positional = {
      start,
      end,
      read: async (buffer, length, position) => {
        if (this.#closed) throw new Error('the file range was closed');
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        return bytesRead;
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
    this.#handle.read(buffer, 0, length, this.#position).then(
      ({ bytesRead }) => {
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
    this.#handle.close().then(
      () => callback(error),
      (closeError: unknown) => callback(error ?? (closeError as Error)),
    );
  }
}
