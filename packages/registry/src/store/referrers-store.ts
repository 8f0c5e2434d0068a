import type { Digest } from '../digest.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import type { Descriptor, ReferrersStore } from './contracts.js';
import { listDigests, readLink } from './links.js';
import { referrerLinkPath, referrersPath } from './paths.js';

/**
 * A repository's referrers index: `_referrers/<subject>/<referrer>/link`, written when a manifest
 * with a `subject` is pushed and withdrawn when it is deleted. Descriptors are returned in digest
 * order, filtered by `artifactType` when asked.
 */
export class RepositoryReferrersStore implements ReferrersStore {
  constructor(
    private readonly repository: string,
    private readonly driver: StorageDriver,
  ) {}

  async list(subject: Digest, options: { artifactType?: string } = {}): Promise<Descriptor[]> {
    const referrers = await listDigests(this.driver, referrersPath(this.repository, subject));
    const links = await Promise.all(
      referrers.map((referrer) =>
        readLink(this.driver, referrerLinkPath(this.repository, subject, referrer)),
      ),
    );
    const descriptors: Descriptor[] = [];
    for (const link of links) {
      if (!link) continue;
      if (options.artifactType !== undefined && link.artifactType !== options.artifactType) continue;
      const { subject: _subject, ...descriptor } = link;
      descriptors.push(descriptor);
    }
    return descriptors.sort((a, b) => compare(a.digest.toString(), b.digest.toString()));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
