import { describe, expect, it } from 'vitest';
import { childManifests, manifestBlobs, manifestReferences } from './manifest-references.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe('manifest references', () => {
  it('lists config and layers of an image, children of an index, never the subject', () => {
    const image = bytes({
      config: { digest: d(1), size: 10 },
      layers: [
        { digest: d(2), size: 20 },
        { digest: d(3), size: 30 },
        { digest: d(2), size: 20 },
      ],
      subject: { digest: d(9), size: 1 },
    });
    expect(manifestReferences(image)).toEqual([d(1), d(2), d(3)]);
    expect(manifestBlobs(image)).toEqual([
      { digest: d(1), size: 10 },
      { digest: d(2), size: 20 },
      { digest: d(3), size: 30 },
    ]);
    expect(childManifests(image)).toEqual([]);
    const index = bytes({
      manifests: [
        { digest: d(4), mediaType: 'm' },
        { digest: d(5), mediaType: 'm' },
      ],
    });
    expect(manifestReferences(index)).toEqual([d(4), d(5)]);
    expect(childManifests(index).map((c) => c.digest)).toEqual([d(4), d(5)]);
  });

  it('gives nothing for bytes that are not a manifest', () => {
    expect(manifestReferences(new TextEncoder().encode('not json'))).toEqual([]);
    expect(manifestBlobs(new TextEncoder().encode('null'))).toEqual([]);
  });
});
