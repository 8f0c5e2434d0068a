import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { type FileWriter, StorageDriverError } from './storage-driver.js';

const NAME = 'filesystem';
/** A large write starts a background `fdatasync` after this many unsynced bytes. */
const WRITE_BEHIND_BYTES = 32 * 1024 * 1024;
/** A writer closed (not committed) with at least this many unsynced bytes starts flushing them. */
const WRITE_BEHIND_ON_CLOSE_BYTES = 4 * 1024 * 1024;

/**
 * `FsDriver`'s writer: bytes go to the pending file (`~pending/<path>`) through a 1 MiB gathering
 * buffer; `close` keeps them there for a later `append`, `commit` flushes, fsyncs and renames the
 * file into place. The file handle is closed before the rename, so once published no descriptor of
 * this writer can change the file.
 */
export class FsFileWriter implements FileWriter {
  #size: number;
  #position: number;
  /** Small chunks are copied here and written together; allocated on first use. */
  #buffer: Buffer | undefined;
  #filled = 0;
  #done = false;
  #unsynced = 0;
  #syncing: Promise<void> | undefined;
  #syncError: unknown;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    size: number,
    private readonly bufferSize: number,
    private readonly actions: {
      readonly sync: boolean;
      /** The pending file on disk. */
      readonly file: string;
      publish(): Promise<void>;
      discard(): Promise<void>;
    },
  ) {
    this.#size = size;
    this.#position = size;
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#assertOpen();
    if (chunk.length === 0) return;
    if (chunk.length >= this.bufferSize) {
      // Large chunks go straight to the file; the caller gets its buffer back only afterwards.
      await this.#flush();
      await this.#writeAll(chunk);
      this.#size += chunk.length;
      return;
    }
    if (this.#filled + chunk.length > this.bufferSize) await this.#flush();
    this.#buffer ??= Buffer.allocUnsafe(this.bufferSize);
    this.#buffer.set(chunk, this.#filled);
    this.#filled += chunk.length;
    this.#size += chunk.length;
    if (this.#filled === this.bufferSize) await this.#flush();
  }

  /**
   * Flushes to the kernel without fsync: the pending bytes survive a process crash (SIGKILL), and
   * after an OS crash a resumed writer reports the size that really reached the disk. Uploads
   * verify their digest at commit, so a lost tail is re-sent or refused, never published.
   */
  async close(): Promise<void> {
    await this.#finish(false);
  }

  async commit(): Promise<void> {
    await this.#finish(true);
    await this.actions.publish();
  }

  async #finish(publishing: boolean): Promise<void> {
    this.#assertOpen();
    this.#done = true;
    try {
      await this.#flush();
      await this.#syncing;
      if (this.#syncError !== undefined) throw this.#syncError;
      if (publishing) {
        // The time stamp is the publish time, whenever the bytes arrived (GC's grace period uses it).
        const now = new Date();
        await this.handle.utimes(now, now);
        if (this.actions.sync) await this.handle.sync();
      }
    } finally {
      this.#buffer = undefined;
      await this.handle.close();
    }
    if (!publishing && this.actions.sync && this.#unsynced >= WRITE_BEHIND_ON_CLOSE_BYTES) {
      // Write-behind across requests: a chunked push closes its writer after every PATCH, so the
      // in-writer write-behind never fires and the commit's fsync would flush the whole blob at
      // once (2–3 s per GiB here). Start the flush now, without waiting for it.
      startWriteBack(this.actions.file);
    }
  }

  async abandon(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#buffer = undefined;
    await this.#syncing;
    await this.handle.close();
  }

  async cancel(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      this.#buffer = undefined;
      await this.#syncing;
      await this.handle.close();
    }
    await this.actions.discard();
  }

  async #flush(): Promise<void> {
    if (this.#filled === 0 || !this.#buffer) return;
    const filled = this.#filled;
    this.#filled = 0;
    await this.#writeAll(this.#buffer.subarray(0, filled));
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(
        data,
        written,
        data.length - written,
        this.#position + written,
      );
      written += bytesWritten;
    }
    this.#position += data.length;
    this.#unsynced += data.length;
    if (this.actions.sync && this.#unsynced >= WRITE_BEHIND_BYTES && !this.#syncing) {
      // Write-behind: let the disk catch up while more bytes arrive, so the fsync before publishing
      // only has the tail left to flush. Its outcome is awaited (and any error thrown) at the end.
      this.#unsynced = 0;
      this.#syncing = this.handle.datasync().then(
        () => {
          this.#syncing = undefined;
        },
        (error: unknown) => {
          this.#syncing = undefined;
          this.#syncError ??= error;
        },
      );
    }
  }

  #assertOpen(): void {
    if (this.#done) throw new StorageDriverError('writer is already closed', NAME, this.path);
  }
}

/**
 * Starts the disk writing `file`'s dirty pages and returns at once: a hint, so that a later fsync
 * has little left to flush. Failures (the file moved or removed meanwhile) do not matter.
 */
function startWriteBack(file: string): void {
  open(file, 'r')
    .then((handle) => handle.datasync().finally(() => handle.close()))
    .catch(() => undefined);
}
