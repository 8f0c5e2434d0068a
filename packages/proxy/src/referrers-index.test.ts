import { parseDigest } from '@glci/registry';
import { describe, expect, it } from 'vitest';
import { parseReferrersIndex, referrersTag } from './referrers-index.js';

const bytes = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const d = (n: number, length = 64) => `sha256:${String(n).repeat(length).slice(0, length)}`;

describe('referrers index', () => {
  it('names the referrers tag after the subject, truncating a long encoded part to 64 characters', () => {
    expect(referrersTag(parseDigest(d(1)))).toBe(`sha256-${'1'.repeat(64)}`);
    const sha512 = parseDigest(`sha512:${'a'.repeat(128)}`);
    expect(referrersTag(sha512)).toBe(`sha512-${'a'.repeat(64)}`);
  });

  it('reads descriptors with artifactType and annotations, skipping entries that are not descriptors', () => {
    const parsed = parseReferrersIndex(
      bytes({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: d(2),
            size: 10,
            artifactType: 'application/vnd.example.sbom',
            annotations: { a: 'b', n: 1 },
          },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:short', size: 1 },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(3) },
          { digest: d(4), size: 1 },
          'nonsense',
        ],
      }),
    );
    expect(parsed?.map((descriptor) => ({ ...descriptor, digest: String(descriptor.digest) }))).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: d(2),
        size: 10,
        artifactType: 'application/vnd.example.sbom',
        annotations: { a: 'b' },
      },
    ]);
  });

  it('treats anything that is not an index as no referrers list', () => {
    expect(parseReferrersIndex(bytes('not json'))).toBeUndefined();
    expect(
      parseReferrersIndex(bytes({ mediaType: 'application/vnd.oci.image.manifest.v1+json', manifests: [] })),
    ).toBeUndefined();
    expect(parseReferrersIndex(bytes({ schemaVersion: 2 }))).toBeUndefined();
    expect(parseReferrersIndex(bytes({ schemaVersion: 2, manifests: [] }))).toEqual([]);
  });
});
