import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { writeLink } from './links.js';
import { referrerLinkPath } from './paths.js';
import { RepositoryReferrersStore } from './referrers-store.js';
import { sha256 } from './test-support/fixtures.js';

describe('RepositoryReferrersStore', () => {
  it('lists referrers in digest order without their subject, filtered by artifactType', async () => {
    const driver = new MemoryDriver();
    const subject = sha256('subject');
    const referrers = ['r1', 'r2', 'r3'].map((name) => sha256(name));
    for (const [index, digest] of referrers.entries()) {
      await writeLink(driver, referrerLinkPath('app', subject, digest), {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: 10 + index,
        artifactType: index === 1 ? 'application/sig' : 'application/sbom',
        subject,
      });
    }
    const store = new RepositoryReferrersStore('app', driver);
    const all = await store.list(subject);
    expect(all.map((d) => String(d.digest))).toEqual(referrers.map(String).sort());
    expect(all.every((d) => !('subject' in d))).toBe(true);
    expect(
      (await store.list(subject, { artifactType: 'application/sig' })).map((d) => String(d.digest)),
    ).toEqual([String(referrers[1])]);
    expect(await new RepositoryReferrersStore('other', driver).list(subject)).toEqual([]);
  });
});
