import { Readable } from 'node:stream';
import {
  assertValidPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  PathExistsError,
  PathNotFoundError,
  type PendingWriter,
  type PutContentOptions,
  type StorageDriver,
  StorageDriverError,
} from './storage-driver.js';

export interface MemoryDriverOptions {
  /** The time stamped on files (`stat().modifiedAt`); defaults to the system clock. */
  readonly clock?: () => Date;
}

interface MemoryFile {
  readonly content: Uint8Array;
  readonly modifiedAt: Date;
}

const NAME = 'inmemory';

/**
 * Keeps everything in maps: for embedding and tests. Files are copied on the way in and out, so a
 * caller can never mutate stored bytes. Pending (closed, uncommitted) writers live in their own map
 * and are invisible until `commit`, as the contract demands.
 */
export class MemoryDriver implements StorageDriver {
  readonly name = NAME;
  readonly #files = new Map<string, MemoryFile>();
  readonly #pending = new Map<string, { chunks: Uint8Array[]; modifiedAt: Date }>();
  readonly #clock: () => Date;

  constructor(options: MemoryDriverOptions = {}) {
    this.#clock = options.clock ?? (() => new Date());
  }

  async getContent(path: string): Promise<Uint8Array> {
    return this.#file(path).content.slice();
  }

  async putContent(path: string, content: Uint8Array, options: PutContentOptions = {}): Promise<void> {
    assertValidPath(NAME, path);
    this.#assertNoFileAbove(path);
    if (options.exclusive && (this.#files.has(path) || this.#hasAnythingUnder(path))) {
      throw new PathExistsError(NAME, path);
    }
    this.#files.set(path, { content: content.slice(), modifiedAt: this.#clock() });
  }

  async reader(path: string, options: { offset?: number; length?: number } = {}): Promise<Readable> {
    const { content } = this.#file(path);
    const offset = options.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > content.length) {
      throw new InvalidOffsetError(NAME, path, offset);
    }
    const end =
      options.length === undefined ? content.length : Math.min(content.length, offset + options.length);
    const slice = Buffer.from(content.buffer, content.byteOffset + offset, end - offset);
    return Readable.from(slice.length > 0 ? [slice] : [], { objectMode: false });
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    assertValidPath(NAME, path);
    let chunks: Uint8Array[];
    if (options.append) {
      const pending = this.#pending.get(path);
      if (!pending) throw new PathNotFoundError(NAME, path);
      chunks = pending.chunks;
    } else {
      chunks = [];
    }
    this.#pending.delete(path);
    return new MemoryFileWriter(path, chunks, {
      close: (written) => {
        this.#pending.set(path, { chunks: written, modifiedAt: this.#clock() });
      },
      commit: (written) => {
        this.#assertNoFileAbove(path);
        this.#files.set(path, { content: Buffer.concat(written), modifiedAt: this.#clock() });
      },
    });
  }

  async stat(path: string): Promise<FileInfo> {
    assertValidPath(NAME, path);
    const file = this.#files.get(path);
    if (file) return { path, size: file.content.length, modifiedAt: file.modifiedAt, isDirectory: false };
    let newest: Date | undefined;
    const prefix = `${path}/`;
    for (const [key, entry] of this.#files) {
      if (key.startsWith(prefix) && (!newest || entry.modifiedAt > newest)) newest = entry.modifiedAt;
    }
    if (!newest) throw new PathNotFoundError(NAME, path);
    return { path, size: 0, modifiedAt: newest, isDirectory: true };
  }

  async list(path: string, options: { startAfter?: string; limit?: number } = {}): Promise<string[]> {
    assertValidPath(NAME, path);
    const prefix = `${path}/`;
    const children = new Set<string>();
    for (const key of this.#files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const slash = key.indexOf('/', prefix.length);
      children.add(slash === -1 ? key : key.slice(0, slash));
    }
    if (children.size === 0) throw new PathNotFoundError(NAME, path);
    let sorted = [...children].sort(compareBytes);
    if (options.startAfter !== undefined) {
      const after = options.startAfter;
      sorted = sorted.filter((child) => compareBytes(child, after) > 0);
    }
    return options.limit === undefined ? sorted : sorted.slice(0, Math.max(0, options.limit));
  }

  async move(sourcePath: string, destinationPath: string): Promise<void> {
    assertValidPath(NAME, sourcePath);
    assertValidPath(NAME, destinationPath);
    const file = this.#files.get(sourcePath);
    if (!file) throw new PathNotFoundError(NAME, sourcePath);
    this.#assertNoFileAbove(destinationPath);
    this.#files.delete(sourcePath);
    this.#files.set(destinationPath, file);
  }

  async delete(path: string): Promise<void> {
    assertValidPath(NAME, path);
    const prefix = `${path}/`;
    for (const map of [this.#files, this.#pending] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) {
        if (key === path || key.startsWith(prefix)) map.delete(key);
      }
    }
  }

  async pendingWriters(path: string): Promise<PendingWriter[]> {
    assertValidPath(NAME, path);
    const prefix = `${path}/`;
    return [...this.#pending]
      .filter(([key]) => key === path || key.startsWith(prefix))
      .sort(([a], [b]) => compareBytes(a, b))
      .map(([key, entry]) => ({ path: key, modifiedAt: entry.modifiedAt }));
  }

  #hasAnythingUnder(path: string): boolean {
    const prefix = `${path}/`;
    for (const key of this.#files.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  #file(path: string): MemoryFile {
    assertValidPath(NAME, path);
    const file = this.#files.get(path);
    if (!file) throw new PathNotFoundError(NAME, path);
    return file;
  }

  /** A file cannot also be a directory: refuse `/a/b` while `/a` is a file, as a filesystem would. */
  #assertNoFileAbove(path: string): void {
    for (let slash = path.indexOf('/', 1); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      if (this.#files.has(path.slice(0, slash))) {
        throw new StorageDriverError(`${path.slice(0, slash)} is a file`, NAME, path);
      }
    }
  }
}

class MemoryFileWriter implements FileWriter {
  #size: number;
  #done = false;

  constructor(
    readonly path: string,
    readonly chunks: Uint8Array[],
    private readonly callbacks: {
      close(chunks: Uint8Array[]): void;
      commit(chunks: Uint8Array[]): void;
    },
  ) {
    this.#size = chunks.reduce((total, chunk) => total + chunk.length, 0);
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#assertOpen();
    this.chunks.push(chunk.slice());
    this.#size += chunk.length;
  }

  async close(): Promise<void> {
    this.#assertOpen();
    this.#done = true;
    this.callbacks.close(this.chunks);
  }

  async commit(): Promise<void> {
    this.#assertOpen();
    this.#done = true;
    this.callbacks.commit(this.chunks);
  }

  async cancel(): Promise<void> {
    this.#done = true;
  }

  /** Leaves the pending content as it is: the bytes written stay, as in a file another writer shares. */
  async abandon(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.callbacks.close(this.chunks);
  }

  #assertOpen(): void {
    if (this.#done) throw new StorageDriverError('writer is already closed', NAME, this.path);
  }
}

/** Byte order for ASCII paths (the only characters a valid path may hold). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
