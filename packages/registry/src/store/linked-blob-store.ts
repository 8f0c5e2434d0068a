import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from '@glci/config';
import type { Digest, DigestAlgorithm } from '../digest.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import { BlobUnknownError, BlobUploadInvalidError, UnsupportedError, UpstreamError } from '../errors.js';
import { MediaType } from '../media-types.js';
import { isValidRepositoryName } from '../reference.js';
import type { ContentStore } from './blob-store.js';
import type {
  BlobStore,
  BlobWriter,
  ByteRange,
  Descriptor,
  LocalBlobIngester,
  MountedBlob,
} from './contracts.js';
import { digestOf } from './hasher.js';
import { orUndefined, readLink, writeLink } from './links.js';
import { layerLinkPath } from './paths.js';
import { reach, type StoreHooks } from './store-hooks.js';
import type { UploadStore } from './upload-store.js';

export interface LinkedBlobStoreOptions {
  readonly repository: string;
  readonly driver: StorageDriver;
  readonly blobs: ContentStore;
  readonly uploads: UploadStore;
  readonly logger: Logger;
  readonly deleteEnabled: boolean;
  readonly clock: () => Date;
  readonly hooks?: StoreHooks;
}

/**
 * A `stat` with `refresh` rewrites a link older than this, so GC's grace period (1 h by default)
 * counts again from the HEAD a client sends before skipping an upload. Younger links are left
 * alone: repeated HEADs cost no write.
 */
export const LINK_REFRESH_AGE_MS = 5 * 60 * 1000;

/**
 * A repository's view of the global blob store: a blob is visible here only while the repository
 * links it (`_layers/<algorithm>/<hex>/link`), so knowing a digest never grants access to content
 * pushed elsewhere. Uploads and mounts end by linking.
 */
export class LinkedBlobStore implements BlobStore {
  readonly localFiles: LocalBlobIngester | undefined;

  constructor(private readonly options: LinkedBlobStoreOptions) {
    const global = options.blobs.localFiles;
    this.localFiles = global && {
      stagingPath: () => global.stagingPath(),
      adopt: async (file, descriptor) => {
        const { size } = await stat(file);
        if (size !== descriptor.size) {
          throw new BlobUploadInvalidError(
            `file for ${String(descriptor.digest)} holds ${size} bytes, not ${descriptor.size}`,
          );
        }
        await global.adopt(file, descriptor.digest);
        // The file was written moments ago, so GC's grace period spares it until the link exists.
        if (await this.link(descriptor)) return descriptor;
        throw new UpstreamError(
          `blob ${String(descriptor.digest)} was garbage-collected while it was being linked`,
          503,
        );
      },
    };
  }

  async stat(digest: Digest, options: { refresh?: boolean } = {}): Promise<Descriptor> {
    const path = layerLinkPath(this.options.repository, digest);
    const link = await readLink(this.options.driver, path);
    if (!link) throw new BlobUnknownError(digest, this.options.repository);
    const descriptor: Descriptor = { mediaType: MediaType.octetStream, digest, size: link.size };
    if (options.refresh) {
      const info = await orUndefined(this.options.driver.stat(path));
      const age = info
        ? this.options.clock().getTime() - info.modifiedAt.getTime()
        : Number.POSITIVE_INFINITY;
      // The client may now skip uploading it: GC's grace period starts again from here. A blob GC
      // already took is unknown rather than vouched for (the client then uploads it again).
      if (age >= LINK_REFRESH_AGE_MS && !(await this.link(descriptor))) {
        throw new BlobUnknownError(digest, this.options.repository);
      }
    }
    return descriptor;
  }

  async open(digest: Digest, options: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    await this.stat(digest);
    try {
      return await this.options.blobs.open(digest, options);
    } catch (error) {
      if (error instanceof BlobUnknownError) throw new BlobUnknownError(digest, this.options.repository);
      throw error;
    }
  }

  async get(digest: Digest): Promise<Uint8Array> {
    await this.stat(digest);
    try {
      return await this.options.blobs.get(digest);
    } catch (error) {
      if (error instanceof BlobUnknownError) throw new BlobUnknownError(digest, this.options.repository);
      throw error;
    }
  }

  async redirectUrl(digest: Digest, options: { method: 'GET' | 'HEAD' }): Promise<string | undefined> {
    await this.stat(digest);
    return this.options.blobs.redirectUrl(digest, options.method);
  }

  async put(mediaType: string, content: Uint8Array): Promise<Descriptor> {
    const digest = digestOf(content);
    const descriptor: Descriptor = { mediaType, digest, size: content.length };
    // Written again if a concurrent GC trashed it between our write and our link (see link()).
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await this.options.blobs.put(digest, content);
      if (await this.link(descriptor)) return descriptor;
    }
    throw new UpstreamError(`blob ${String(digest)} keeps disappearing from storage (a GC running?)`, 503);
  }

  async createUpload(
    options: { mount?: { digest: Digest; from?: string }; digestAlgorithm?: DigestAlgorithm } = {},
  ): Promise<BlobWriter | MountedBlob> {
    if (options.mount) {
      const mounted = await this.#mount(options.mount.digest, options.mount.from);
      if (mounted) return { mounted: true, descriptor: mounted };
    }
    return this.options.uploads.create(this.options.repository, options.digestAlgorithm);
  }

  async resumeUpload(id: string): Promise<BlobWriter> {
    return this.options.uploads.resume(this.options.repository, id);
  }

  async delete(digest: Digest): Promise<void> {
    if (!this.options.deleteEnabled)
      throw new UnsupportedError('deleting blobs is disabled on this registry');
    const path = layerLinkPath(this.options.repository, digest);
    if (!(await readLink(this.options.driver, path)))
      throw new BlobUnknownError(digest, this.options.repository);
    await this.options.driver.delete(path.slice(0, -'/link'.length));
    this.options.logger.info('blob unlinked', { repo: this.options.repository, digest: String(digest) });
  }

  /**
   * Links a blob whose global copy exists. The link is written first and the global copy checked
   * after it: GC moves a blob to its trash before looking for links a last time, so either GC sees
   * this link and restores the blob, or this check misses the blob and the link is withdrawn
   * (returns false). Never a link to nothing.
   */
  async link(descriptor: Descriptor): Promise<boolean> {
    const path = layerLinkPath(this.options.repository, descriptor.digest);
    await writeLink(this.options.driver, path, {
      mediaType: MediaType.octetStream,
      digest: descriptor.digest,
      size: descriptor.size,
    });
    const { hooks } = this.options;
    if (hooks) {
      await reach(hooks, 'link:written', {
        repository: this.options.repository,
        digest: String(descriptor.digest),
      });
    }
    if (await this.options.blobs.exists(descriptor.digest)) return true;
    await this.options.driver.delete(path.slice(0, -'/link'.length));
    return false;
  }

  /**
   * Links `digest` from `from` when that repository links it. Without `from` only this repository
   * itself is a source (a mount of a blob it already has), never "anywhere": knowing a digest must
   * not give access to content pushed elsewhere, and the store cannot tell which other repositories
   * the client may read. The caller checks the client may pull `from`.
   */
  async #mount(digest: Digest, from: string | undefined): Promise<Descriptor | undefined> {
    const source = from ?? this.options.repository;
    if (!isValidRepositoryName(source)) return undefined;
    const size = (await readLink(this.options.driver, layerLinkPath(source, digest)))?.size;
    if (size === undefined) return undefined;
    const descriptor: Descriptor = { mediaType: MediaType.octetStream, digest, size };
    if (!(await this.link(descriptor))) return undefined;
    this.options.logger.debug('blob mounted', {
      repo: this.options.repository,
      digest: String(digest),
      from,
    });
    return descriptor;
  }
}
