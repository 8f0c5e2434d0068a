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
import type { KeyedMutex } from './keyed-mutex.js';
import { type LinkedDescriptor, readLink, writeLink } from './links.js';
import { type ParsedManifest, parseManifest } from './manifest-validation.js';
import { layerLinkPath, referrerLinkPath, revisionLinkPath } from './paths.js';
import { reach, type StoreHooks } from './store-hooks.js';
import type { RepositoryTagStore } from './tag-store.js';

export interface RepositoryManifestStoreOptions {
  readonly repository: string;
  readonly driver: StorageDriver;
  readonly blobs: ContentStore;
  readonly tags: RepositoryTagStore;
  /** Links a blob whose content exists into the repository (`LinkedBlobStore.link`). */
  readonly link: (descriptor: Descriptor) => Promise<boolean>;
  readonly logger: Logger;
  readonly sizeLimit: number;
  readonly deleteEnabled: boolean;
  /** Serialises PUT and DELETE of one manifest in this process (shared by the namespace). */
  readonly locks: KeyedMutex;
  /** Accept an index whose child manifests are not in the repository (default false). */
  readonly allowSparseIndex?: boolean;
  /** Manifest bytes by digest, shared by the namespace's repositories. */
  readonly cache?: ContentCache;
  readonly hooks?: StoreHooks;
}

/** How often a PUT publishes again when a concurrent DELETE or GC took part of it away. */
const PUBLISH_ATTEMPTS = 5;

/**
 * A repository's manifests. The exact pushed bytes are stored once in the global blob store; the
 * repository holds a revision link with the descriptor (and the `subject`, so deleting the
 * manifest can withdraw its referrer entry). Referenced blobs and child manifests must already be
 * in the repository (children need not with `allowSparseIndex`); the `subject` need not exist.
 *
 * Concurrency. In this process a PUT and a DELETE of the same manifest run one after the other.
 * Against everything else (GC, other nodes) a PUT publishes, then checks what it published: the
 * content, the revision, its tags and every reference. What a concurrent DELETE or GC removed in
 * between is published again (a missing layer link is linked again while its blob exists); what
 * cannot be (a blob or child manifest gone for good) fails the PUT with MANIFEST_BLOB_UNKNOWN and
 * withdraws what the PUT created. GC does the mirror image: it removes first and looks for new
 * references after (gc.ts). So a PUT that answers 201 left a manifest whose every reference exists.
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
    options: { digestAlgorithm?: DigestAlgorithm; tags?: readonly string[] } = {},
  ): Promise<ManifestPutResult> {
    const { repository, sizeLimit } = this.options;
    if (content.length > sizeLimit) throw new ManifestTooLargeError(content.length, sizeLimit);
    const parsed = parseManifest(content, mediaType);
    const tags = [...new Set(options.tags ?? [])];
    for (const tag of tags) this.options.tags.assertValid(tag);
    const missing = await this.#missingReferences(parsed);
    if (missing.length > 0) throw new ManifestBlobUnknownError(missing);

    const digest = digestOf(content, options.digestAlgorithm);
    const descriptor: Descriptor = {
      mediaType: parsed.mediaType,
      digest,
      size: content.length,
      ...(parsed.artifactType !== undefined ? { artifactType: parsed.artifactType } : {}),
    };
    const subject = parsed.subject?.digest;
    const { hooks } = this.options;
    if (hooks) await reach(hooks, 'manifest-put:validated', { repository, digest: String(digest), tags });
    await this.options.locks.run(lockKey(repository, digest), async () => {
      const existed = await this.exists(digest);
      for (let attempt = 1; ; attempt += 1) {
        await this.#publish(content, descriptor, parsed, tags);
        const lost = await this.#verify(descriptor, parsed, tags);
        if (lost === undefined) return;
        if (lost.length > 0) {
          // References gone for good (GC took the blob, someone deleted a child): refuse, and take
          // back what this PUT created rather than leave a manifest that points at nothing.
          await this.#withdraw(descriptor, subject, tags, existed);
          throw new ManifestBlobUnknownError(lost);
        }
        if (attempt >= PUBLISH_ATTEMPTS) {
          throw new UpstreamError(
            `manifest ${String(digest)} keeps disappearing from storage while it is pushed (concurrent deletes or GC)`,
            503,
          );
        }
      }
    });
    this.options.logger.debug('manifest stored', {
      repo: repository,
      digest: String(digest),
      mediaType,
      tags,
    });
    return { descriptor, ...(subject ? { subject } : {}) };
  }

  async delete(digest: Digest): Promise<void> {
    if (!this.options.deleteEnabled)
      throw new UnsupportedError('deleting manifests is disabled on this registry');
    const { repository, driver, tags, hooks } = this.options;
    await this.options.locks.run(lockKey(repository, digest), async () => {
      const link = await this.describe(digest);
      if (!link) throw new ManifestUnknownError(digest.toString(), repository);
      for (const tag of await tags.lookup(digest)) await tags.removeIfPointsTo(tag, digest);
      if (link.subject) await driver.delete(parentOf(referrerLinkPath(repository, link.subject, digest)));
      await driver.delete(parentOf(revisionLinkPath(repository, digest)));
      if (hooks)
        await reach(hooks, 'manifest-delete:revision-deleted', { repository, digest: String(digest) });
      // A tag another node wrote between our lookup and the removal points at nothing now: remove it
      // too, unless that node published the manifest again meanwhile.
      for (const tag of await tags.lookup(digest)) {
        if (!(await this.exists(digest))) await tags.removeIfPointsTo(tag, digest);
      }
    });
    this.options.logger.info('manifest deleted', { repo: repository, digest: String(digest) });
  }

  /** Content, then revision link, then referrer entry and tags: each refers only to what exists. */
  async #publish(
    content: Uint8Array,
    descriptor: Descriptor,
    parsed: ParsedManifest,
    tags: readonly string[],
  ): Promise<void> {
    const { repository, driver, hooks } = this.options;
    const { digest } = descriptor;
    const subject = parsed.subject?.digest;
    await this.options.blobs.put(digest, content);
    await writeLink(driver, revisionLinkPath(repository, digest), {
      ...descriptor,
      ...(subject ? { subject } : {}),
    });
    if (hooks) await reach(hooks, 'manifest-put:revision-written', { repository, digest: String(digest) });
    if (subject) {
      await writeLink(driver, referrerLinkPath(repository, subject, digest), {
        ...descriptor,
        ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
      });
    }
    for (const tag of tags) await this.options.tags.write(tag, descriptor);
    if (hooks) await reach(hooks, 'manifest-put:tags-written', { repository, digest: String(digest), tags });
  }

  /**
   * What a concurrent DELETE or GC took from a published manifest: `undefined` when it is whole,
   * `[]` when the PUT must publish again (content, revision or a tag gone), the lost references
   * otherwise. A layer link removed meanwhile is linked again here while its blob exists.
   */
  async #verify(
    descriptor: Descriptor,
    parsed: ParsedManifest,
    tags: readonly string[],
  ): Promise<Digest[] | undefined> {
    const { digest } = descriptor;
    const lost: Digest[] = [];
    await Promise.all(
      parsed.blobs.map(async (blob) => {
        if (await this.#linked(blob.digest)) return;
        if (!(await this.options.link({ ...blob, mediaType: blob.mediaType }))) lost.push(blob.digest);
      }),
    );
    if (!this.options.allowSparseIndex) {
      for (const child of parsed.manifests) if (!(await this.exists(child.digest))) lost.push(child.digest);
    }
    if (lost.length > 0) return uniqueDigests(lost);
    if (!(await this.options.blobs.exists(digest)) || !(await this.exists(digest))) return [];
    for (const tag of tags) {
      const target = await this.options.tags.target(tag);
      // Another PUT moving the tag elsewhere meanwhile is a later write, not a loss.
      if (target === undefined) return [];
    }
    return undefined;
  }

  async #withdraw(
    descriptor: Descriptor,
    subject: Digest | undefined,
    tags: readonly string[],
    existed: boolean,
  ): Promise<void> {
    const { repository, driver } = this.options;
    for (const tag of tags) await this.options.tags.removeIfPointsTo(tag, descriptor.digest);
    if (existed) return;
    if (subject) await driver.delete(parentOf(referrerLinkPath(repository, subject, descriptor.digest)));
    await driver.delete(parentOf(revisionLinkPath(repository, descriptor.digest)));
  }

  async #linked(digest: Digest): Promise<boolean> {
    return (
      (await readLink(this.options.driver, layerLinkPath(this.options.repository, digest))) !== undefined
    );
  }

  async #missingReferences(parsed: ParsedManifest): Promise<Digest[]> {
    const checks = [
      ...parsed.blobs.map(async (blob) => ((await this.#linked(blob.digest)) ? undefined : blob.digest)),
      ...(this.options.allowSparseIndex ? [] : parsed.manifests).map(async (manifest) =>
        (await this.exists(manifest.digest)) ? undefined : manifest.digest,
      ),
    ];
    const missing = (await Promise.all(checks)).filter((digest): digest is Digest => digest !== undefined);
    return uniqueDigests(missing);
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

function lockKey(repository: string, digest: Digest): string {
  return `${repository}@${String(digest)}`;
}
