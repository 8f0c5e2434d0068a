import { describe, expect, it } from 'vitest';
import { ManifestInvalidError } from '../errors.js';
import { MediaType } from '../media-types.js';
import { parseManifest } from './manifest-validation.js';
import { bytes, sha256 } from './test-support/fixtures.js';

const descriptor = (text: string, mediaType = 'application/vnd.oci.image.layer.v1.tar') => ({
  mediaType,
  digest: String(sha256(text)),
  size: text.length,
});

const parse = (json: unknown, contentType?: string) =>
  parseManifest(bytes(JSON.stringify(json)), contentType);

describe('parseManifest', () => {
  it('extracts references, the referrer artifactType and the subject of an image manifest', () => {
    const parsed = parse({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptor('config', 'application/vnd.example.config'),
      layers: [descriptor('layer'), { ...descriptor('foreign'), urls: ['https://example.invalid/x'] }],
      subject: descriptor('subject', MediaType.ociManifest),
      annotations: { a: 'b' },
    });
    expect(parsed.mediaType).toBe(MediaType.ociManifest);
    // No artifactType: the config's media type stands in (image spec rule for referrers).
    expect(parsed.artifactType).toBe('application/vnd.example.config');
    expect(parsed.blobs.map((blob) => String(blob.digest))).toEqual([
      String(sha256('config')),
      String(sha256('layer')),
    ]);
    expect(parsed.manifests).toEqual([]);
    expect(String(parsed.subject?.digest)).toBe(String(sha256('subject')));
    expect(parsed.annotations).toEqual({ a: 'b' });
  });

  it('extracts the children of an index and keeps its own artifactType only', () => {
    const parsed = parse({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [descriptor('one', MediaType.ociManifest), descriptor('two', MediaType.ociManifest)],
    });
    expect(parsed.manifests).toHaveLength(2);
    expect(parsed.blobs).toEqual([]);
    expect(parsed.artifactType).toBeUndefined();
  });

  it('takes the media type from the Content-Type, else from the shape', () => {
    expect(parse({ schemaVersion: 2, manifests: [] }, 'application/json').mediaType).toBe(MediaType.ociIndex);
    expect(parse({ schemaVersion: 2, manifests: [] }, MediaType.dockerManifestList).mediaType).toBe(
      MediaType.dockerManifestList,
    );
    expect(parse({ schemaVersion: 2, config: descriptor('c'), layers: [] }, undefined).mediaType).toBe(
      MediaType.ociManifest,
    );
  });

  it('refuses with a reason that names the field', () => {
    expect(() =>
      parse({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptor('c'), layers: [{}] }),
    ).toThrow(/layers\[0\]\.mediaType/);
    expect(() => parse({ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] })).toThrow(
      ManifestInvalidError,
    );
  });
});
