import type { Logger } from '@glci/config';
import type { Digest, DigestAlgorithm } from '../digest.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import {
  BlobUnknownError,
  ManifestBlobUnknownError,
  ManifestTooLargeError,
  ManifestUnknownError,
  UnsupportedError,
  UpstreamError,
} from '../errors.js';
import type { ContentStore } from './blob-store.js';
import type { ContentCache } from './content-cache.js';
import type { Descriptor, ManifestPutResult, ManifestStore, StoredManifest } from './contracts.js';
import { digestOf } from './hasher.js';
import { type LinkedDescriptor, readLink, writeLink } from './links.js';
import { parseManifest } from './manifest-validation.js';
import { layerLinkPath, referrerLinkPath, revisionLinkPath } from './paths.js';
import type { RepositoryTagStore } from './tag-store.js';

export interface RepositoryManifestStoreOptions {
  readonly repository: string;
  readonly driver: StorageDriver;
  readonly blobs: ContentStore;
  readonly tags: RepositoryTagStore;
  readonly logger: Logger;
  readonly sizeLimit: number;
  readonly deleteEnabled: boolean;
  /** Manifest bytes by digest, shared by the namespace's repositories. */
  readonly cache?: ContentCache;
}

/**
 * A repository's manifests. The exact pushed bytes are stored once in the global blob store; the
 * repository holds a revision link with the descriptor (and the `subject`, so deleting the
 * manifest can withdraw its referrer entry). Referenced blobs and child manifests must already be
 * in the repository; the `subject` need not exist (the spec lets referrers arrive first).
 */
export class RepositoryManifestStore implements ManifestStore {
  constructor(private readonly options: RepositoryManifestStoreOptions) {}

  async exists(digest: Digest): Promise<boolean> {
    return (await this.describe(digest)) !== undefined;
  }

  /** The revision's descriptor (with `subject`), or `undefined`. */
  async describe(digest: Digest): Promise<LinkedDescriptor | undefined> {
    return readLink(this.options.driver, revisionLinkPath(this.options.repository, digest));
  }

  async get(digest: Digest): Promise<StoredManifest> {
    const link = await this.describe(digest);
    if (!link) throw new ManifestUnknownError(digest.toString(), this.options.repository);
    let content = this.options.cache?.get(digest);
    if (content) return { descriptor: withoutSubject(link), content };
    try {
      content = await this.options.blobs.get(digest);
      this.options.cache?.set(digest, content);
    } catch (error) {
      if (error instanceof BlobUnknownError)
        throw new ManifestUnknownError(digest.toString(), this.options.repository);
      throw error;
    }
    return { descriptor: withoutSubject(link), content };
  }

  async put(
    content: Uint8Array,
    mediaType: string,
    options: { digestAlgorithm?: DigestAlgorithm } = {},
  ): Promise<ManifestPutResult> {
    const { repository, driver, sizeLimit } = this.options;
    if (content.length > sizeLimit) throw new ManifestTooLargeError(content.length, sizeLimit);
    const parsed = parseManifest(content, mediaType);
    await this.#assertReferencesExist(parsed.blobs, parsed.manifests);

    const digest = digestOf(content, options.digestAlgorithm);
    const descriptor: Descriptor = {
      mediaType: parsed.mediaType,
      digest,
      size: content.length,
      ...(parsed.artifactType !== undefined ? { artifactType: parsed.artifactType } : {}),
    };
    const subject = parsed.subject?.digest;
    // Content, then revision link, then referrer entry: each step refers only to what exists.
    for (let attempt = 0; ; attempt += 1) {
      await this.options.blobs.put(digest, content);
      await writeLink(driver, revisionLinkPath(repository, digest), {
        ...descriptor,
        ...(subject ? { subject } : {}),
      });
      // The same protocol as blob links (see LinkedBlobStore.link): a concurrent GC either saw
      // the link and keeps the content, or we see the content gone and write it again.
      if (await this.options.blobs.exists(digest)) break;
      if (attempt >= 2) {
        throw new UpstreamError(
          `manifest ${String(digest)} keeps disappearing from storage (a GC running?)`,
          503,
        );
      }
    }
    if (subject) {
      await writeLink(driver, referrerLinkPath(repository, subject, digest), {
        ...descriptor,
        ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
      });
    }
    this.options.logger.debug('manifest stored', { repo: repository, digest: String(digest), mediaType });
    return { descriptor, ...(subject ? { subject } : {}) };
  }

  async delete(digest: Digest): Promise<void> {
    if (!this.options.deleteEnabled)
      throw new UnsupportedError('deleting manifests is disabled on this registry');
    const { repository, driver } = this.options;
    const link = await this.describe(digest);
    if (!link) throw new ManifestUnknownError(digest.toString(), repository);
    for (const tag of await this.options.tags.lookup(digest)) await this.options.tags.remove(tag);
    if (link.subject) await driver.delete(parentOf(referrerLinkPath(repository, link.subject, digest)));
    await driver.delete(parentOf(revisionLinkPath(repository, digest)));
    this.options.logger.info('manifest deleted', { repo: repository, digest: String(digest) });
  }

  async #assertReferencesExist(
    blobs: readonly Descriptor[],
    manifests: readonly Descriptor[],
  ): Promise<void> {
    const { driver, repository } = this.options;
    const checks = [
      ...blobs.map(async (blob) =>
        (await readLink(driver, layerLinkPath(repository, blob.digest))) ? undefined : blob.digest,
      ),
      ...manifests.map(async (manifest) =>
        (await this.exists(manifest.digest)) ? undefined : manifest.digest,
      ),
    ];
    const missing = (await Promise.all(checks)).filter((digest): digest is Digest => digest !== undefined);
    if (missing.length > 0) throw new ManifestBlobUnknownError(uniqueDigests(missing));
  }
}

function uniqueDigests(digests: Digest[]): Digest[] {
  const seen = new Map<string, Digest>();
  for (const digest of digests) seen.set(digest.toString(), digest);
  return [...seen.values()];
}

function withoutSubject(link: LinkedDescriptor): Descriptor {
  const { subject: _subject, ...descriptor } = link;
  return descriptor;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
