import { describe, expect, it } from 'vitest';
import { baseMediaType, isIndexMediaType, isManifestMediaType, MediaType } from './media-types.js';

describe('media types', () => {
  it('knows the manifest types a PUT may carry', () => {
    for (const type of [
      MediaType.ociManifest,
      MediaType.ociIndex,
      MediaType.dockerManifest,
      MediaType.dockerManifestList,
      MediaType.ociArtifactManifest,
    ]) {
      expect(isManifestMediaType(type)).toBe(true);
    }
    expect(isManifestMediaType(MediaType.dockerSchema1Signed)).toBe(false);
    expect(isManifestMediaType(MediaType.ociConfig)).toBe(false);
  });

  it('tells indexes apart', () => {
    expect(isIndexMediaType(MediaType.ociIndex)).toBe(true);
    expect(isIndexMediaType(MediaType.dockerManifestList)).toBe(true);
    expect(isIndexMediaType(MediaType.ociManifest)).toBe(false);
  });

  it('strips parameters and case from a Content-Type', () => {
    expect(baseMediaType(' Application/VND.oci.image.manifest.v1+json ; charset=utf-8')).toBe(
      MediaType.ociManifest,
    );
    expect(baseMediaType('')).toBe('');
  });
});
