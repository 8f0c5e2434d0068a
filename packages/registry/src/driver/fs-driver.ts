import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import nodePath from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { FileRangeStream } from './file-range-stream.js';
import { compareBytes } from './memory-driver.js';
import {
  assertValidPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  type LocalFileAdopter,
  PathNotFoundError,
  type StorageDriver,
  StorageDriverError,
} from './storage-driver.js';

/*
 * On disk, under `root`:
 *
 *   <root>/
 *   ├── <path>                 committed files, at their driver path (`/a/b` → <root>/a/b)
 *   ├── ~pending/<path>        writers closed but not committed (resumed with `append`)
 *   └── ~tmp/<uuid>            `putContent` in progress, and `localFiles` staging files
 *
 * `~` can never appear in a driver path, so neither staging area can collide with real content and
 * `list` hides both. Staging lives on the same filesystem as the content, so publishing is one
 * `rename(2)`: atomic, and replacing the destination. Every publish is `write → fsync(file) →
 * rename → fsync(directory)`; a crash or SIGKILL at any point leaves either the old file or the new
 * one visible, never part of one. Leftovers in `~tmp` are removed by `purgeStaleTemporaryFiles`.
 */
const PENDING_DIR = '~pending';
const TMP_DIR = '~tmp';
const NAME = 'filesystem';
/** Read-stream buffer: large reads keep syscalls per GiB low (64 KiB is Node's default). */
const DEFAULT_READ_BUFFER = 1024 * 1024;
/** Writers gather small chunks (HTTP bodies arrive in 16–64 KiB pieces) into writes this large. */
const DEFAULT_WRITE_BUFFER = 1024 * 1024;
/** A large write starts a background `fdatasync` after this many unsynced bytes. */
const WRITE_BEHIND_BYTES = 32 * 1024 * 1024;
/** A writer closed (not committed) with at least this many unsynced bytes starts flushing them. */
const WRITE_BEHIND_ON_CLOSE_BYTES = 4 * 1024 * 1024;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const DEFAULT_SYNC_READ_LIMIT = 64 * 1024;

export interface FsDriverOptions {
  /** The storage directory; created when missing. */
  readonly root: string;
  /** Unique names for temporary files; defaults to `crypto.randomUUID`. */
  readonly uuid?: () => string;
  readonly readBufferSize?: number;
  readonly writeBufferSize?: number;
  /** fsync files and directories before publishing (default true). Turn off only for throwaway data. */
  readonly fsync?: boolean;
  /**
   * `getContent` reads files up to this size synchronously (default 64 KiB; 0 = never). Link and
   * tag files are tiny and page-cached: one blocking read of a few microseconds beats four thread
   * pool round trips, and manifest GETs are mostly such reads (2.4x more per second measured).
   */
  readonly syncReadLimit?: number;
}

/** The filesystem driver: the default, crash-safe store (see the layout comment above). */
export class FsDriver implements StorageDriver {
  readonly name = NAME;
  readonly root: string;
  readonly #uuid: () => string;
  readonly #readBuffer: number;
  readonly #writeBuffer: number;
  readonly #fsync: boolean;
  readonly #syncReadLimit: number;
  readonly localFiles: LocalFileAdopter = {
    stagingPath: async () => {
      const directory = nodePath.join(this.root, TMP_DIR);
      await mkdir(directory, { recursive: true });
      return nodePath.join(directory, this.#uuid());
    },
    adopt: async (file, path) => {
      const target = this.#resolve(path);
      // Only our own staging area: never rename an arbitrary file of the machine into the store.
      if (nodePath.dirname(nodePath.resolve(file)) !== nodePath.join(this.root, TMP_DIR)) {
        throw new StorageDriverError(`not a staging file of this driver: ${file}`, NAME, path);
      }
      if (this.#fsync) await syncPath(file);
      await this.#publish(file, target, path);
    },
  };

  constructor(options: FsDriverOptions) {
    this.root = nodePath.resolve(options.root);
    this.#uuid = options.uuid ?? randomUUID;
    this.#readBuffer = options.readBufferSize ?? DEFAULT_READ_BUFFER;
    this.#writeBuffer = options.writeBufferSize ?? DEFAULT_WRITE_BUFFER;
    this.#fsync = options.fsync ?? true;
    this.#syncReadLimit = options.syncReadLimit ?? DEFAULT_SYNC_READ_LIMIT;
  }

  async getContent(path: string): Promise<Uint8Array> {
    const file = this.#resolve(path);
    try {
      if (this.#syncReadLimit > 0) {
        const small = readSmallFileSync(file, this.#syncReadLimit);
        if (small) return small;
      }
      return await readFile(file);
    } catch (error) {
      throw this.#mapError(error, path);
    }
  }

  async putContent(path: string, content: Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
    const target = this.#resolve(path);
    const temporary = nodePath.join(this.root, TMP_DIR, this.#uuid());
    // Still write-then-rename (atomic against a crashed process); only the flushes are skipped.
    const sync = this.#fsync && options.durable !== false;
    await mkdir(nodePath.dirname(temporary), { recursive: true });
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(content);
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await this.#publish(temporary, target, path, sync);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async reader(
    path: string,
    options: { offset?: number; length?: number; signal?: AbortSignal } = {},
  ): Promise<Readable> {
    const file = this.#resolve(path);
    options.signal?.throwIfAborted();
    const offset = options.offset ?? 0;
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      throw this.#mapError(error, path);
    }
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new PathNotFoundError(NAME, path);
      if (!Number.isInteger(offset) || offset < 0 || offset > info.size) {
        throw new InvalidOffsetError(NAME, path, offset);
      }
      const end = options.length === undefined ? info.size : Math.min(info.size, offset + options.length);
      if (end <= offset) {
        await handle.close();
        return Readable.from([]);
      }
      const stream = FileRangeStream.fromHandle(handle, offset, end, this.#readBuffer);
      if (options.signal) addAbortSignal(options.signal, stream);
      return stream;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    const target = this.#resolve(path);
    const pending = nodePath.join(this.root, PENDING_DIR, path);
    let handle: FileHandle;
    if (options.append) {
      try {
        handle = await open(pending, 'r+');
      } catch (error) {
        throw this.#mapError(error, path);
      }
    } else {
      await mkdir(nodePath.dirname(pending), { recursive: true });
      handle = await open(pending, 'w');
    }
    const { size } = await handle.stat();
    return new FsFileWriter(path, handle, size, this.#writeBuffer, {
      sync: this.#fsync,
      file: pending,
      publish: () => this.#publish(pending, target, path),
      discard: async () => {
        await rm(pending, { force: true });
        await this.#prune(nodePath.dirname(pending), nodePath.join(this.root, PENDING_DIR));
      },
    });
  }

  async stat(path: string): Promise<FileInfo> {
    const file = this.#resolve(path);
    try {
      const info = await stat(file);
      return {
        path,
        size: info.isDirectory() ? 0 : info.size,
        modifiedAt: info.mtime,
        isDirectory: info.isDirectory(),
      };
    } catch (error) {
      throw this.#mapError(error, path);
    }
  }

  async list(path: string, options: { startAfter?: string; limit?: number } = {}): Promise<string[]> {
    const directory = this.#resolve(path);
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      throw this.#mapError(error, path);
    }
    let children = names
      .filter((name) => SEGMENT.test(name))
      .map((name) => `${path}/${name}`)
      .sort(compareBytes);
    if (children.length === 0) throw new PathNotFoundError(NAME, path);
    if (options.startAfter !== undefined) {
      const after = options.startAfter;
      children = children.filter((child) => compareBytes(child, after) > 0);
    }
    if (options.limit !== undefined) children = children.slice(0, Math.max(0, options.limit));
    return children;
  }

  async move(sourcePath: string, destinationPath: string): Promise<void> {
    const source = this.#resolve(sourcePath);
    const destination = this.#resolve(destinationPath);
    try {
      await stat(source);
    } catch (error) {
      throw this.#mapError(error, sourcePath);
    }
    await this.#publish(source, destination, destinationPath);
    await this.#prune(nodePath.dirname(source), this.root);
  }

  async delete(path: string): Promise<void> {
    const file = this.#resolve(path);
    const pending = nodePath.join(this.root, PENDING_DIR, path);
    await rm(file, { recursive: true, force: true });
    await rm(pending, { recursive: true, force: true });
    await this.#prune(nodePath.dirname(file), this.root);
    await this.#prune(nodePath.dirname(pending), nodePath.join(this.root, PENDING_DIR));
  }

  /** Removes `putContent` leftovers of crashed processes older than `olderThan`; returns how many. */
  async purgeStaleTemporaryFiles(olderThan: Date): Promise<number> {
    const directory = nodePath.join(this.root, TMP_DIR);
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(directory);
    } catch {
      return 0;
    }
    for (const name of names) {
      const file = nodePath.join(directory, name);
      try {
        if ((await stat(file)).mtime < olderThan) {
          await unlink(file);
          removed += 1;
        }
      } catch {
        // Renamed or removed meanwhile: nothing to purge.
      }
    }
    return removed;
  }

  /** `rename` into place, creating the parents; retried when a concurrent prune removed them. */
  async #publish(source: string, target: string, path: string, sync = this.#fsync): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      await mkdir(nodePath.dirname(target), { recursive: true });
      try {
        await rename(source, target);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && attempt < 5) {
          await stat(source).catch((cause: unknown) => {
            throw this.#mapError(cause, path);
          });
          continue;
        }
        if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'ENOTDIR') {
          throw new StorageDriverError(`cannot replace ${path}: ${code}`, NAME, path, { cause: error });
        }
        throw error;
      }
    }
    if (sync) await syncPath(nodePath.dirname(target));
  }

  /** Removes now-empty directories from `directory` up to (not including) `stop`. */
  async #prune(directory: string, stop: string): Promise<void> {
    let current = directory;
    while (current.startsWith(`${stop}${nodePath.sep}`)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty, gone, or in use: stop here
      }
      current = nodePath.dirname(current);
    }
  }

  #resolve(path: string): string {
    assertValidPath(NAME, path);
    return nodePath.join(this.root, path);
  }

  #mapError(error: unknown, path: string): unknown {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')
      return new PathNotFoundError(NAME, path);
    return error;
  }
}

class FsFileWriter implements FileWriter {
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

/** The whole file when it is at most `limit` bytes, else `undefined` (read it asynchronously). */
function readSmallFileSync(file: string, limit: number): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > limit) return undefined;
    const content = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const count = readSync(fd, content, read, size - read, read);
      if (count === 0) break;
      read += count;
    }
    return read === size ? content : content.subarray(0, read);
  } finally {
    closeSync(fd);
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

/** fsync of a file or a directory (a directory's entries: a rename into it). */
async function syncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
