import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorsOf,
  imageManifest,
  MEDIA,
  putManifest,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '../fixture.js';
import type { TestStorage } from '../test-storage.js';

/** The referrers API (listing, filtering, paging), on `storage`. */
export function describeReferrers(storage: TestStorage): void {
  describe(`referrers (${storage.kind})`, () => {
    let registry: TestRegistry;
    let subject: { mediaType: string; digest: string; size: number };
    const referrers: Record<string, string> = {};

    beforeAll(async () => {
      registry = await startTestRegistry({ storage, pageSize: 2 });
      const body = await imageManifest(registry, 'ref/app');
      subject = { mediaType: MEDIA.ociManifest, digest: sha256(body), size: Buffer.byteLength(body) };
      await putManifest(registry, 'ref/app', 'v1', body);
      for (const [index, type] of [
        'application/vnd.sig',
        'application/vnd.sbom',
        'application/vnd.sig',
      ].entries()) {
        const referrer = await imageManifest(registry, 'ref/app', {
          subject,
          artifactType: type,
          layer: `r${index}`,
        });
        const response = await putManifest(registry, 'ref/app', sha256(referrer), referrer);
        expect(response.headers.get('oci-subject')).toBe(subject.digest);
        referrers[sha256(referrer)] = type;
      }
    });
    afterAll(() => registry[Symbol.asyncDispose]());

    interface Index {
      mediaType: string;
      manifests: { digest: string; artifactType?: string; mediaType: string; size: number }[];
    }

    async function all(query = ''): Promise<{ manifests: Index['manifests']; pages: Response[] }> {
      const pages: Response[] = [];
      const manifests: Index['manifests'] = [];
      let path: string | undefined = `/v2/ref/app/referrers/${subject.digest}${query}`;
      while (path) {
        const response = await registry.fetch(path);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe(MEDIA.ociIndex);
        const index = (await response.json()) as Index;
        expect(index.mediaType).toBe(MEDIA.ociIndex);
        manifests.push(...index.manifests);
        pages.push(response);
        path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1];
      }
      return { manifests, pages };
    }

    it('lists every referrer with its artifactType, across pages linked with Link', async () => {
      const { manifests, pages } = await all();
      expect(pages).toHaveLength(2);
      expect(Object.fromEntries(manifests.map((m) => [m.digest, m.artifactType]))).toEqual(referrers);
      expect(manifests.every((m) => m.mediaType === MEDIA.ociManifest && m.size > 0)).toBe(true);
    });

    it('filters by artifactType and says so with OCI-Filters-Applied', async () => {
      const { manifests, pages } = await all('?artifactType=application/vnd.sig');
      expect(manifests.map((m) => m.artifactType)).toEqual(['application/vnd.sig', 'application/vnd.sig']);
      expect(pages[0]?.headers.get('oci-filters-applied')).toBe('artifactType');
      const unfiltered = await registry.fetch(`/v2/ref/app/referrers/${subject.digest}`);
      expect(unfiltered.headers.get('oci-filters-applied')).toBeNull();
    });

    it('a subject without referrers → 200 and an empty index, never 404', async () => {
      const response = await registry.fetch(`/v2/ref/app/referrers/${sha256('nothing refers to me')}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as Index).manifests).toEqual([]);
    });

    it('an invalid digest → 400 DIGEST_INVALID', async () => {
      const response = await registry.fetch('/v2/ref/app/referrers/sha256:abc');
      expect(response.status).toBe(400);
      expect((await errorsOf(response))[0]?.code).toBe('DIGEST_INVALID');
    });
  });
}
