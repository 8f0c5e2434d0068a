import type { Readable } from 'node:stream';

/**
 * The registry's one plugin point for persistence. Everything the registry keeps (blobs, upload
 * sessions, repositories, tags, manifest links, referrers, GC marks) is a file at a path under this
 * driver; content-aware stores above it decide the layout (store/paths.ts). A new backend is one
 * class implementing this interface plus one `describeStorageDriver(...)` call (conformance.ts).
 *
 * Paths: absolute, `/`-separated, each segment matching `[A-Za-z0-9._-]+` and not `.` or `..`
 * (`PATH_PATTERN`); drivers reject anything else with `InvalidPathError`. There are no directories
 * of their own: a "directory" exists while some file lives under it (as in S3).
 *
 * Consistency a store may rely on:
 * - `putContent` and `FileWriter.commit` are atomic: a reader sees the old content or the new, never
 *   a part. `move` is atomic for a single file and replaces the destination.
 * - A writer's bytes are invisible at its path until `commit` (to `getContent`, `reader`, `stat` and
 *   `list`); after `close` (without commit) they outlive the writing process (a SIGKILL loses
 *   nothing; an OS crash may lose a tail, which the resumed writer's `size` then reports) and
 *   `writer(path, { append: true })` continues where it stopped, in this process or another node
 *   sharing the backend. `commit` is durable: it survives an OS crash. `append` on a
 *   path with no closed, uncommitted writer rejects with `PathNotFoundError`; a writer without
 *   `append` discards any such pending content and starts empty. One writer per path at a time.
 * - `list` returns the direct children of a path (files and directories), sorted in byte order, as
 *   full paths; `startAfter` is a full path and only children sorting after it are returned,
 *   `limit` caps the count. A path that is a file, or has nothing under it, is `PathNotFoundError`.
 * - `move` creates the destination's parents; `delete` of a directory removes everything under it
 *   (and discards pending writers there), but never a sibling sharing a prefix (`/a/b` vs `/a/bc`).
 * - `stat(...).modifiedAt` changes on every `putContent`/`commit` (GC grace periods rely on it).
 * - `putContent` is safe to call concurrently on one path: the last rename wins, whole.
 * - `putContent(path, bytes, { exclusive: true })` creates the file only if nothing is at `path`:
 *   of any number of concurrent exclusive puts to one path (from any process or node sharing the
 *   backend) exactly one succeeds, and the others reject with `PathExistsError`. The stores build
 *   their upload-session leases on it.
 *
 * Every method rejects with `PathNotFoundError` for a missing path (except `delete`, which is a no-op
 * there), `InvalidPathError` for a malformed one, `InvalidOffsetError` for a read past the end.
 */
export interface StorageDriver {
  /** A short identifier: `filesystem`, `inmemory`, `s3`. */
  readonly name: string;
  getContent(path: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /**
   * Writes the whole file atomically. `durable: false` is a hint that the content (e.g. upload
   * session state) need only survive a process crash, not an OS crash, so a driver may skip its
   * flush to disk; drivers without such a cost ignore it. `exclusive: true` creates the file only
   * when nothing is at `path` (`PathExistsError` otherwise), atomically across processes and nodes.
   */
  putContent(path: string, content: Uint8Array, options?: PutContentOptions): Promise<void>;
  /** A stream of the file from `offset` (default 0), at most `length` bytes when given. */
  reader(
    path: string,
    options?: { offset?: number; length?: number; signal?: AbortSignal },
  ): Promise<Readable>;
  /** A writer for `path`; with `append` it resumes a closed, uncommitted writer at its size. */
  writer(path: string, options?: { append?: boolean }): Promise<FileWriter>;
  stat(path: string): Promise<FileInfo>;
  list(path: string, options?: { startAfter?: string; limit?: number }): Promise<string[]>;
  move(sourcePath: string, destinationPath: string): Promise<void>;
  /** Removes the file or everything under the path; missing paths are not an error. */
  delete(path: string): Promise<void>;
  /**
   * A URL a client may fetch the file from directly (e.g. a presigned S3 URL), or `undefined` when
   * the driver cannot or is configured not to redirect. Optional.
   */
  redirectUrl?(
    path: string,
    options: { method: 'GET' | 'HEAD'; expiresInSeconds: number },
  ): Promise<string | undefined>;
  /**
   * Present on drivers whose files live on the local filesystem: publish a file built outside the
   * driver by renaming it, so content already written once (a pull-through download) is not
   * written again. Optional.
   */
  readonly localFiles?: LocalFileAdopter;
  /**
   * Every closed, uncommitted writer at `path` or below it, with the time it was last written
   * (`[]` when there is none). The stores use it to find the data of upload sessions whose state is
   * gone (a crash between two writes, a session deleted meanwhile) and reclaim it. Optional: a
   * driver without it leaves such leftovers to `delete` of their directory.
   */
  pendingWriters?(path: string): Promise<PendingWriter[]>;
  /**
   * Removes the driver's own temporary objects not modified since `olderThan` (a `putContent` a
   * crashed process left half done, a multipart upload nobody will complete); returns how many.
   * Optional: drivers without such objects have nothing to reclaim.
   */
  reclaimTemporaryFiles?(olderThan: Date): Promise<number>;
  /** Releases connections, timers and handles. */
  close?(): Promise<void>;
}

export interface PutContentOptions {
  /** `false`: the content need only survive a process crash (a driver may skip its fsync). */
  readonly durable?: boolean;
  /** Create only: reject with `PathExistsError` when something is already at the path. */
  readonly exclusive?: boolean;
}

/** A closed, uncommitted writer (see `StorageDriver.pendingWriters`). */
export interface PendingWriter {
  /** The driver path the writer would publish at. */
  readonly path: string;
  readonly modifiedAt: Date;
}

/** See `StorageDriver.localFiles`. */
export interface LocalFileAdopter {
  /**
   * A fresh, unused file path on the driver's filesystem (so `adopt` is a rename). The caller
   * creates and writes the file; one never adopted is the caller's to delete, and one a crashed
   * process left behind is removed with the driver's other stale temporary files.
   */
  stagingPath(): Promise<string>;
  /**
   * Publishes `file` (a `stagingPath`) at `path` as `FileWriter.commit` would: flushed to disk,
   * renamed atomically over any previous content, durable. Open handles on the file stay valid.
   */
  adopt(file: string, path: string): Promise<void>;
}

export interface FileInfo {
  readonly path: string;
  /** Bytes, for files; 0 for directories. */
  readonly size: number;
  readonly modifiedAt: Date;
  readonly isDirectory: boolean;
}

/** Streaming writer whose content becomes visible only on `commit`. */
export interface FileWriter {
  readonly path: string;
  /** Bytes written so far, including what a resumed writer found. */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Keeps the content without publishing it; the writer may be resumed with `append`. */
  close(): Promise<void>;
  /** Publishes the content at `path` atomically and releases the writer. */
  commit(): Promise<void>;
  /** Discards everything written and releases the writer. */
  cancel(): Promise<void>;
  /**
   * Releases the writer without persisting anything more: no flush of buffered bytes, no state
   * written, the pending content left as it is. For a writer whose caller lost the right to write
   * (another writer took over the path). Optional; without it the caller just drops the writer.
   */
  abandon?(): Promise<void>;
}

export const PATH_PATTERN = /^(\/[A-Za-z0-9._-]+)+$/;

export class StorageDriverError extends Error {
  constructor(
    message: string,
    readonly driver: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class PathNotFoundError extends StorageDriverError {
  constructor(driver: string, path: string) {
    super(`path not found: ${path}`, driver, path);
  }
}

/** An exclusive `putContent` found the path taken. */
export class PathExistsError extends StorageDriverError {
  constructor(driver: string, path: string) {
    super(`path exists: ${path}`, driver, path);
  }
}

export class InvalidPathError extends StorageDriverError {
  constructor(driver: string, path: string) {
    super(`invalid path: ${JSON.stringify(path)}`, driver, path);
  }
}

export class InvalidOffsetError extends StorageDriverError {
  constructor(
    driver: string,
    path: string,
    readonly offset: number,
  ) {
    super(`invalid offset ${offset} for ${path}`, driver, path);
  }
}

export class UnsupportedMethodError extends StorageDriverError {
  constructor(driver: string, method: string) {
    super(`${driver} does not support ${method}`, driver);
  }
}

/** Throws `InvalidPathError` unless `path` is a valid driver path (no `..`, `.`, empty or odd segments). */
export function assertValidPath(driver: string, path: string): void {
  if (!PATH_PATTERN.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidPathError(driver, path);
  }
}
