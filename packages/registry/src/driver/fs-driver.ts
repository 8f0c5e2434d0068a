import { randomUUID } from 'node:crypto';
import {
  type FileHandle,
  link,
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
import { FsFileWriter } from './fs-file-writer.js';
import { exists, readSmallFileSync, syncPath } from './fs-io.js';
import { compareBytes } from './memory-driver.js';
import {
  assertValidPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  type LocalFileAdopter,
  PathExistsError,
  PathNotFoundError,
  type PendingWriter,
  type PutContentOptions,
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
 * one visible, never part of one. An exclusive put publishes with `link(2)` instead, which fails
 * when the name is taken. A directory is deleted by renaming it into `~tmp` first (atomic: a
 * concurrent writer recreates the path and lands beside it, never inside a half-removed tree) and
 * removing it there. Leftovers in `~tmp` are removed by `reclaimTemporaryFiles`.
 */
const PENDING_DIR = '~pending';
const TMP_DIR = '~tmp';
const NAME = 'filesystem';
/** Read-stream buffer: large reads keep syscalls per GiB low (64 KiB is Node's default). */
const DEFAULT_READ_BUFFER = 1024 * 1024;
/** Writers gather small chunks (HTTP bodies arrive in 16–64 KiB pieces) into writes this large. */
const DEFAULT_WRITE_BUFFER = 1024 * 1024;
/**
 * Publishing retries this often when a concurrent delete or prune removes the parent directory
 * between its `mkdir` and its `rename` (each retry is two syscalls; the race lasts microseconds).
 */
const PUBLISH_ATTEMPTS = 50;
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

  async putContent(path: string, content: Uint8Array, options: PutContentOptions = {}): Promise<void> {
    const target = this.#resolve(path);
    const temporary = nodePath.join(this.root, TMP_DIR, this.#uuid());
    // Still write-then-rename (atomic against a crashed process); only the flushes are skipped.
    const sync = this.#fsync && options.durable !== false;
    let renamed = false;
    try {
      await mkdir(nodePath.dirname(temporary), { recursive: true });
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(content);
        if (sync) await handle.sync();
      } finally {
        await handle.close();
      }
      if (options.exclusive) {
        await this.#create(temporary, target, path, sync);
      } else {
        await this.#publish(temporary, target, path, sync);
        renamed = true;
      }
    } finally {
      // A failed write (a full disk, a taken name) leaves nothing behind, nor does a link.
      if (!renamed) await rm(temporary, { force: true });
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
      handle = await this.#openFresh(pending);
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
    // Directories left empty go too; where nothing was removed there is nothing to prune.
    if (await this.#remove(file)) await this.#prune(nodePath.dirname(file), this.root);
    if (await this.#remove(pending)) {
      await this.#prune(nodePath.dirname(pending), nodePath.join(this.root, PENDING_DIR));
    }
  }

  /** Closed, uncommitted writers at or below `path` (their files under `~pending`). */
  async pendingWriters(path: string): Promise<PendingWriter[]> {
    assertValidPath(NAME, path);
    const found: PendingWriter[] = [];
    const walk = async (driverPath: string): Promise<void> => {
      const file = nodePath.join(this.root, PENDING_DIR, driverPath);
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(file);
      } catch {
        return; // gone meanwhile
      }
      if (!info.isDirectory()) {
        found.push({ path: driverPath, modifiedAt: info.mtime });
        return;
      }
      const names = await readdir(file).catch(() => [] as string[]);
      for (const name of names.sort(compareBytes)) {
        if (SEGMENT.test(name)) await walk(`${driverPath}/${name}`);
      }
    };
    await walk(path);
    return found;
  }

  /**
   * Removes temporary files and directories (`~tmp`: a `putContent` or a delete a crashed process
   * left, a staging file nobody adopted) not modified since `olderThan`; returns how many.
   */
  async reclaimTemporaryFiles(olderThan: Date): Promise<number> {
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
          await rm(file, { recursive: true, force: true });
          removed += 1;
        }
      } catch {
        // Renamed or removed meanwhile: nothing to reclaim.
      }
    }
    return removed;
  }

  /**
   * Removes a file or a whole tree: renamed into `~tmp` first, atomically, then removed there.
   * Removing in place races with writers creating files in the tree (`rm -r` fails ENOTEMPTY) and
   * leaves it half removed; after the rename a writer recreates the path and lands beside it.
   */
  /** Removes `file` or the tree at it; whether anything was there. */
  async #remove(file: string): Promise<boolean> {
    // A file goes with one unlink (atomic already); only a directory takes the detour.
    try {
      await unlink(file);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      if (code !== 'EISDIR' && code !== 'EPERM') throw error;
    }
    const doomed = nodePath.join(this.root, TMP_DIR, `rm-${this.#uuid()}`);
    try {
      await mkdir(nodePath.dirname(doomed), { recursive: true });
      await rename(file, doomed);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !(await exists(file))) return false; // removed meanwhile
      if (code !== 'ENOENT' && code !== 'EXDEV' && code !== 'EINVAL') throw error;
      // ~tmp went meanwhile, or another filesystem is mounted below the root: remove in place.
      await rm(file, { recursive: true, force: true, maxRetries: 5 });
      return true;
    }
    await rm(doomed, { recursive: true, force: true, maxRetries: 5 });
    return true;
  }

  /** `rename` into place, creating the parents; retried when a concurrent prune removed them. */
  async #publish(source: string, target: string, path: string, sync = this.#fsync): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await mkdir(nodePath.dirname(target), { recursive: true });
        await rename(source, target);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && attempt < PUBLISH_ATTEMPTS) {
          // The parent went (a concurrent prune or delete), or the source did: which one?
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

  /** Opens `file` for writing, empty, creating its parents (retried as `#publish` is). */
  async #openFresh(file: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await mkdir(nodePath.dirname(file), { recursive: true });
        return await open(file, 'w');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= PUBLISH_ATTEMPTS) throw error;
      }
    }
  }

  /** `link` into place (fails when the name is taken), creating the parents as `#publish` does. */
  async #create(source: string, target: string, path: string, sync: boolean): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await mkdir(nodePath.dirname(target), { recursive: true });
        await link(source, target);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new PathExistsError(NAME, path);
        if (code === 'ENOENT' && attempt < PUBLISH_ATTEMPTS) continue;
        if (code === 'ENOTDIR') {
          throw new StorageDriverError(`cannot create ${path}: ${code}`, NAME, path, { cause: error });
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
