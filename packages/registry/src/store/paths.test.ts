import { describe, expect, it } from 'vitest';
import { parseDigest } from '../digest.js';
import { assertValidPath } from '../driver/storage-driver.js';
import {
  blobDataPath,
  layerLinkPath,
  referrerLinkPath,
  revisionLinkPath,
  tagLinkPath,
  trashDataPath,
  uploadDataPath,
  uploadStatePath,
} from './paths.js';

const digest = parseDigest(`sha256:${'ab'.repeat(32)}`);
const other = parseDigest(`sha512:${'cd'.repeat(64)}`);

describe('layout paths', () => {
  it('places content as the tree in paths.ts documents', () => {
    expect(blobDataPath(digest)).toBe(`/v1/blobs/sha256/ab/${digest.hex}/data`);
    expect(trashDataPath(digest)).toBe(`/v1/gc-trash/sha256/${digest.hex}/data`);
    expect(layerLinkPath('library/alpine', digest)).toBe(
      `/v1/repositories/library/alpine/_layers/sha256/${digest.hex}/link`,
    );
    expect(revisionLinkPath('a', other)).toBe(
      `/v1/repositories/a/_manifests/revisions/sha512/${other.hex}/link`,
    );
    expect(tagLinkPath('a', 'v1.0')).toBe('/v1/repositories/a/_manifests/tags/v1.0/link');
    expect(referrerLinkPath('a', digest, other)).toBe(
      `/v1/repositories/a/_referrers/sha256/${digest.hex}/sha512/${other.hex}/link`,
    );
    expect(uploadStatePath('a', 'id-1')).toBe('/v1/repositories/a/_uploads/id-1/state.json');
    expect(uploadDataPath('a', 'id-1')).toBe('/v1/repositories/a/_uploads/id-1/data');
  });

  it('produces valid driver paths for valid names, tags and digests', () => {
    for (const path of [
      blobDataPath(other),
      layerLinkPath('a-b/c__d/e.f', digest),
      tagLinkPath('x', '_Tag-1.2'),
      referrerLinkPath('x', other, digest),
    ]) {
      expect(() => assertValidPath('test', path)).not.toThrow();
    }
  });
});
