import type { Readable } from 'node:stream';
import type { Digest } from '../digest.js';
import { BlobUnknownError } from '../errors.js';
import type { ContentStore } from '../store/blob-store.js';
import type { ByteRange } from '../store/contracts.js';
import type { LocalBlobCache } from './local-blob-cache.js';

/**
 * The node-local blob cache in front of a remote content store (S3), as a decorator of the
 * namespace's `ContentStore`: `createNamespace({ decorateContent: (store) => new
 * NodeCachedContentStore(store, cache) })`.
 *
 * - **The store decides what exists.** Every read first asks the store for the blob's size (a
 *   `HEAD` on S3, no bytes). A blob deleted through any node (a `DELETE`, GC) is therefore a miss
 *   on every node at once, whatever their caches hold, and the stale copy is evicted on the spot;
 *   nodes never need to tell each other anything. A size that differs from the copy's also evicts
 *   it.
 * - **Hits** are read from the local file (verified by digest, see `LocalBlobCache`) as a
 *   `FileRangeStream`, which the blob GET handler relays through reused buffers like a filesystem
 *   store's blobs.
 * - **Misses** stream from the store as before; the blob is copied into the cache once that read
 *   is over (a second read of the store, in the background), so a miss costs its client only the
 *   relay. Blobs published by pushes through this node, and small blobs read or written whole
 *   (manifests, configs), are cached the same way.
 * - Sizes, existence, redirects and local files pass straight through: with `redirect` on, clients
 *   fetch from the store and the cache is not used for blob GETs.
 */
export class NodeCachedContentStore implements ContentStore {
  constructor(
    private readonly inner: ContentStore,
    private readonly cache: LocalBlobCache,
  ) {}

  size(digest: Digest): Promise<number | undefined> {
    return this.inner.size(digest);
  }

  exists(digest: Digest): Promise<boolean> {
    return this.inner.exists(digest);
  }

  get localFiles(): ContentStore['localFiles'] {
    return this.inner.localFiles;
  }

  redirectUrl(digest: Digest, method: 'GET' | 'HEAD'): Promise<string | undefined> {
    return this.inner.redirectUrl(digest, method);
  }

  async open(digest: Digest, options: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    const size = await this.#sizeInStore(digest);
    const range = options.range ?? { offset: 0, length: size };
    // A range outside the blob: the store answers it with its own error.
    if (range.offset >= 0 && range.length >= 0 && range.offset + range.length <= size) {
      const cached = await this.cache.reader(digest, size, range);
      if (cached) return cached;
    }
    const stream = await this.inner.open(digest, options);
    this.cache.recordMiss(range.length);
    // Copied once this read is over, so that the client of a miss waits for nothing but the relay.
    stream.once('close', () => this.#fill(digest, size));
    return stream;
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const size = await this.#sizeInStore(digest);
    const cached = await this.cache.read(digest, size);
    if (cached) return cached;
    const content = await this.inner.get(digest);
    this.cache.recordMiss(content.length);
    this.cache.keep(digest, content);
    return content;
  }

  async put(digest: Digest, content: Uint8Array): Promise<void> {
    await this.inner.put(digest, content);
    this.cache.keep(digest, content);
  }

  async publish(path: string, digest: Digest, size: number): Promise<void> {
    await this.inner.publish(path, digest, size);
    this.#fill(digest, size);
  }

  /** The blob's size in the store; `BlobUnknownError` (and the local copy evicted) when it is gone. */
  async #sizeInStore(digest: Digest): Promise<number> {
    const size = await this.inner.size(digest);
    if (size !== undefined) return size;
    this.cache.forget(digest);
    throw new BlobUnknownError(digest);
  }

  #fill(digest: Digest, size: number): void {
    this.cache.fill(digest, size, (signal) => this.inner.open(digest, { signal }));
  }
}
