import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import {
  decodeDescriptor,
  encodeDescriptor,
  listDigests,
  listOrEmpty,
  readLink,
  writeLink,
} from './links.js';
import { bytes, sha256 } from './test-support/fixtures.js';

describe('link files', () => {
  it('round-trips a descriptor with its subject, artifactType and annotations', () => {
    const descriptor = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256('m'),
      size: 5,
      artifactType: 'application/x',
      annotations: { k: 'v' },
      subject: sha256('s'),
    };
    const decoded = decodeDescriptor(encodeDescriptor(descriptor));
    expect({ ...decoded, digest: String(decoded.digest), subject: String(decoded.subject) }).toEqual({
      ...descriptor,
      digest: String(descriptor.digest),
      subject: String(descriptor.subject),
    });
  });

  it('reads a missing link as undefined and lists a missing directory as empty', async () => {
    const driver = new MemoryDriver();
    expect(await readLink(driver, '/nothing/link')).toBeUndefined();
    expect(await listOrEmpty(driver, '/nothing')).toEqual([]);
    await writeLink(driver, '/x/link', { mediaType: 'a', digest: sha256('x'), size: 1 });
    expect(String((await readLink(driver, '/x/link'))?.digest)).toBe(String(sha256('x')));
  });

  it('lists digests under <algorithm>/<hex>, ignoring anything else', async () => {
    const driver = new MemoryDriver();
    const digest = sha256('a');
    await driver.putContent(`/d/sha256/${digest.hex}/link`, bytes('{}'));
    await driver.putContent('/d/sha256/not-hex/link', bytes('{}'));
    await driver.putContent(`/d/md5/${'a'.repeat(32)}/link`, bytes('{}'));
    expect((await listDigests(driver, '/d')).map(String)).toEqual([String(digest)]);
  });
});
