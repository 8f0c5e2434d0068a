import type { Readable } from 'node:stream';
import type { Digest } from '../digest.js';
import { InvalidOffsetError, PathNotFoundError, type StorageDriver } from '../driver/storage-driver.js';
import { BlobUnknownError } from '../errors.js';
import type { ByteRange } from './contracts.js';
import { orUndefined } from './links.js';
import { blobDataPath } from './paths.js';

/**
 * The registry's content-addressed bytes, for all repositories: what `LinkedBlobStore`, the
 * manifest store and upload sessions read and publish through. `GlobalBlobStore` keeps them in the
 * storage driver; decorators (the node-local cache, `node-cache/`) wrap it. The store is the
 * authority on what exists: `size` and `exists` always answer from it.
 */
export interface ContentStore {
  /** The stored size, or `undefined` when the blob is not in the registry. */
  size(digest: Digest): Promise<number | undefined>;
  exists(digest: Digest): Promise<boolean>;
  /** A stream of the blob or of one range of it; `BlobUnknownError` when absent. */
  open(digest: Digest, options?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable>;
  /** The whole blob (small ones: manifests, configs); `BlobUnknownError` when absent. */
  get(digest: Digest): Promise<Uint8Array>;
  /** Writes small `content` at its address (always, so its modification time is fresh for GC). */
  put(digest: Digest, content: Uint8Array): Promise<void>;
  /**
   * Publishes the driver file at `path` (a committed upload whose bytes were verified against
   * `digest`, `size` bytes) at `digest`'s address, replacing any identical copy.
   */
  publish(path: string, digest: Digest, size: number): Promise<void>;
  /** See `GlobalBlobStore.localFiles`; `undefined` when the driver has no local files. */
  readonly localFiles:
    | { stagingPath(): Promise<string>; adopt(file: string, digest: Digest): Promise<void> }
    | undefined;
  redirectUrl(digest: Digest, method: 'GET' | 'HEAD'): Promise<string | undefined>;
}

/**
 * The global content-addressed store under `/v1/blobs`: each distinct content once, whatever the
 * number of repositories linking it. Repositories never use it directly; they go through their
 * `LinkedBlobStore`, which checks the repository's link first.
 */
export class GlobalBlobStore implements ContentStore {
  constructor(
    private readonly driver: StorageDriver,
    private readonly redirectExpirySeconds: number,
  ) {}

  /** The stored size, or `undefined` when the blob is not in the registry. */
  async size(digest: Digest): Promise<number | undefined> {
    return (await orUndefined(this.driver.stat(blobDataPath(digest))))?.size;
  }

  async exists(digest: Digest): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  async open(digest: Digest, options: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    try {
      return await this.driver.reader(blobDataPath(digest), {
        ...(options.range ? { offset: options.range.offset, length: options.range.length } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof PathNotFoundError) throw new BlobUnknownError(digest);
      if (error instanceof InvalidOffsetError) throw error;
      throw error;
    }
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const content = await orUndefined(this.driver.getContent(blobDataPath(digest)));
    if (content === undefined) throw new BlobUnknownError(digest);
    return content;
  }

  /**
   * Writes `content` at its content address. Always written (never skipped when present): the
   * fresh modification time is what tells GC the blob was just pushed (see gc.ts).
   */
  async put(digest: Digest, content: Uint8Array): Promise<void> {
    await this.driver.putContent(blobDataPath(digest), content);
  }

  async publish(path: string, digest: Digest, _size: number): Promise<void> {
    await this.driver.move(path, blobDataPath(digest));
  }

  /**
   * Publishes a staging file of the driver's `localFiles` at `digest`'s address (see
   * `LocalFileAdopter`); `undefined` when the driver has no local files.
   */
  get localFiles():
    | { stagingPath(): Promise<string>; adopt(file: string, digest: Digest): Promise<void> }
    | undefined {
    const local = this.driver.localFiles;
    if (!local) return undefined;
    return {
      stagingPath: () => local.stagingPath(),
      adopt: (file, digest) => local.adopt(file, blobDataPath(digest)),
    };
  }

  async redirectUrl(digest: Digest, method: 'GET' | 'HEAD'): Promise<string | undefined> {
    if (!this.driver.redirectUrl) return undefined;
    return this.driver.redirectUrl(blobDataPath(digest), {
      method,
      expiresInSeconds: this.redirectExpirySeconds,
    });
  }
}
