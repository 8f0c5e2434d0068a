import type { Logger } from '@glci/config';
import type { Digest } from '../digest.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import { ManifestUnknownError, TagInvalidError, UnsupportedError } from '../errors.js';
import { isValidTag } from '../reference.js';
import type { Descriptor, TagStore } from './contracts.js';
import { listOrEmpty, readLink, writeLink } from './links.js';
import { baseName, revisionLinkPath, tagLinkPath, tagPath, tagsPath } from './paths.js';
import { reach, type StoreHooks } from './store-hooks.js';

export interface RepositoryTagStoreOptions {
  readonly repository: string;
  readonly driver: StorageDriver;
  readonly logger: Logger;
  readonly deleteEnabled: boolean;
  readonly hooks?: StoreHooks;
}

/**
 * A repository's tags: `_manifests/tags/<tag>/link` holds the descriptor the tag points at, so a
 * manifest GET by tag costs one read before the manifest itself. Tag names are valid path
 * segments by the spec's grammar, and the driver lists them in byte order, so paging is native.
 */
export class RepositoryTagStore implements TagStore {
  constructor(private readonly options: RepositoryTagStoreOptions) {}

  async resolve(tag: string): Promise<Descriptor> {
    assertTag(tag);
    const link = await readLink(this.options.driver, tagLinkPath(this.options.repository, tag));
    if (!link) throw new ManifestUnknownError(tag, this.options.repository);
    const { subject: _subject, ...descriptor } = link;
    return descriptor;
  }

  /**
   * Points `tag` at a manifest already in the repository (ManifestUnknownError otherwise). Checked
   * again after writing: when a concurrent delete removed the manifest meanwhile, the tag goes too
   * (if it still points there) and the call fails, so no tag is left pointing at nothing.
   */
  async tag(tag: string, descriptor: Descriptor): Promise<void> {
    assertTag(tag);
    const { driver, repository } = this.options;
    const revision = await readLink(driver, revisionLinkPath(repository, descriptor.digest));
    if (!revision) throw new ManifestUnknownError(descriptor.digest.toString(), repository);
    const { subject: _subject, ...current } = revision;
    await this.write(tag, current);
    const { hooks } = this.options;
    if (hooks)
      await reach(hooks, 'tag:written', { repository, digest: String(descriptor.digest), tags: [tag] });
    if (!(await readLink(driver, revisionLinkPath(repository, descriptor.digest)))) {
      await this.removeIfPointsTo(tag, descriptor.digest);
      throw new ManifestUnknownError(descriptor.digest.toString(), repository);
    }
  }

  /** Writes the tag link as is: for the manifest store, which checks what it published itself. */
  async write(tag: string, descriptor: Descriptor): Promise<void> {
    assertTag(tag);
    await writeLink(this.options.driver, tagLinkPath(this.options.repository, tag), descriptor);
    this.options.logger.debug('tagged', {
      repo: this.options.repository,
      tag,
      digest: String(descriptor.digest),
    });
  }

  /** TagInvalidError unless `tag` is a valid tag. */
  assertValid(tag: string): void {
    assertTag(tag);
  }

  /** The digest `tag` points at, or `undefined`. */
  async target(tag: string): Promise<Digest | undefined> {
    return (await readLink(this.options.driver, tagLinkPath(this.options.repository, tag)))?.digest;
  }

  async untag(tag: string): Promise<void> {
    if (!this.options.deleteEnabled) throw new UnsupportedError('deleting tags is disabled on this registry');
    await this.remove(tag);
  }

  /** Removes a tag regardless of the delete switch (a manifest delete takes its tags along). */
  async remove(tag: string): Promise<void> {
    assertTag(tag);
    const { driver, repository } = this.options;
    if (!(await readLink(driver, tagLinkPath(repository, tag))))
      throw new ManifestUnknownError(tag, repository);
    await driver.delete(tagPath(repository, tag));
    this.options.logger.info('untagged', { repo: repository, tag });
  }

  /**
   * Removes `tag` if it still points at `digest` (a tag moved to another manifest meanwhile stays).
   * Returns whether it was removed.
   */
  async removeIfPointsTo(tag: string, digest: Digest): Promise<boolean> {
    const target = await this.target(tag);
    if (target === undefined || target.toString() !== digest.toString()) return false;
    await this.options.driver.delete(tagPath(this.options.repository, tag));
    this.options.logger.info('untagged', { repo: this.options.repository, tag });
    return true;
  }

  async list(options: { last?: string; n?: number } = {}): Promise<{ tags: string[]; more: boolean }> {
    const root = tagsPath(this.options.repository);
    const { n, last } = options;
    if (n !== undefined && n <= 0) return { tags: [], more: false };
    const paths = await listOrEmpty(this.options.driver, root, {
      ...(last !== undefined ? { startAfter: `${root}/${last}` } : {}),
      ...(n !== undefined ? { limit: n + 1 } : {}),
    });
    const tags = paths.map(baseName);
    return n !== undefined && tags.length > n
      ? { tags: tags.slice(0, n), more: true }
      : { tags, more: false };
  }

  async lookup(digest: Digest): Promise<string[]> {
    const all = await this.entries();
    return all.filter(([, target]) => target.toString() === digest.toString()).map(([tag]) => tag);
  }

  /** Every tag with the digest it points at, in tag order. */
  async entries(): Promise<Array<[string, Digest]>> {
    const { driver, repository } = this.options;
    const tags = (await listOrEmpty(driver, tagsPath(repository))).map(baseName);
    const links = await Promise.all(tags.map((tag) => readLink(driver, tagLinkPath(repository, tag))));
    const entries: Array<[string, Digest]> = [];
    tags.forEach((tag, index) => {
      const link = links[index];
      if (link) entries.push([tag, link.digest]);
    });
    return entries;
  }
}

function assertTag(tag: string): void {
  if (!isValidTag(tag)) throw new TagInvalidError(tag);
}
