import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { garbageCollect } from '../../../store/gc.js';
import {
  errorsOf,
  imageManifest,
  MEDIA,
  pushBlob,
  putManifest,
  sha256,
  sha512,
  startTestRegistry,
  type TestRegistry,
} from '../fixture.js';
import type { TestStorage } from '../test-storage.js';

/** Manifest GET, HEAD, PUT and DELETE over HTTP, on `storage`. */
export function describeManifests(storage: TestStorage): void {
  describe(`manifests (${storage.kind})`, () => {
    let registry: TestRegistry;
    let manifest: string;
    let digest: string;

    beforeAll(async () => {
      registry = await startTestRegistry({ storage, maxManifestBytes: 64 * 1024 });
      // Deliberately odd formatting: the exact bytes must come back, not a re-serialisation.
      manifest = `${(await imageManifest(registry, 'img/app')).replace('{', '{  ')}\n`;
      digest = sha256(manifest);
      const response = await putManifest(registry, 'img/app', 'v1', manifest);
      expect(response.status).toBe(201);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      expect(response.headers.get('location')).toBe(`/v2/img/app/manifests/${digest}`);
    });
    afterAll(() => registry[Symbol.asyncDispose]());

    it.each(['v1', 'digest'])('GET by %s returns the exact bytes and media type', async (by) => {
      const reference = by === 'digest' ? digest : 'v1';
      const response = await registry.fetch(`/v2/img/app/manifests/${reference}`, {
        headers: { Accept: `${MEDIA.dockerManifest}, ${MEDIA.ociManifest}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(MEDIA.ociManifest);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(manifest)));
      expect(await response.text()).toBe(manifest);
    });

    it.each(['v1', 'digest'])('HEAD by %s gives digest, type and length', async (by) => {
      const reference = by === 'digest' ? digest : 'v1';
      const response = await registry.fetch(`/v2/img/app/manifests/${reference}`, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      expect(response.headers.get('content-type')).toBe(MEDIA.ociManifest);
      expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(manifest)));
    });

    it('answers 304 to If-None-Match with the manifest ETag (conditional GET of a tag)', async () => {
      const response = await registry.fetch('/v2/img/app/manifests/v1', {
        headers: { 'If-None-Match': `"${digest}"` },
      });
      expect(response.status).toBe(304);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      const changed = await registry.fetch('/v2/img/app/manifests/v1', {
        headers: { 'If-None-Match': '"sha256:old"' },
      });
      expect(changed.status).toBe(200);
    });

    it('an Accept header that excludes the stored type → 404 MANIFEST_UNKNOWN; */* is fine', async () => {
      const refused = await registry.fetch('/v2/img/app/manifests/v1', {
        headers: { Accept: MEDIA.dockerManifest },
      });
      expect(refused.status).toBe(404);
      expect((await errorsOf(refused))[0]?.code).toBe('MANIFEST_UNKNOWN');
      const any = await registry.fetch('/v2/img/app/manifests/v1', { headers: { Accept: '*/*' } });
      expect(any.status).toBe(200);
    });

    it('unknown tag and unknown digest → 404 MANIFEST_UNKNOWN', async () => {
      for (const reference of ['nope', sha256('nope')]) {
        const response = await registry.fetch(`/v2/img/app/manifests/${reference}`);
        expect(response.status).toBe(404);
        expect((await errorsOf(response))[0]?.code).toBe('MANIFEST_UNKNOWN');
      }
    });

    it('stores Docker schema2 manifests and manifest lists with their media types', async () => {
      const config = '{"architecture":"arm64","os":"linux"}';
      const configDigest = await pushBlob(registry, 'img/docker', config);
      const layerDigest = await pushBlob(registry, 'img/docker', 'docker layer');
      const schema2 = JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.dockerManifest,
        config: { mediaType: MEDIA.dockerConfig, digest: configDigest, size: config.length },
        layers: [{ mediaType: MEDIA.dockerLayer, digest: layerDigest, size: 12 }],
      });
      expect((await putManifest(registry, 'img/docker', 'arm', schema2, MEDIA.dockerManifest)).status).toBe(
        201,
      );
      const list = JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.dockerList,
        manifests: [
          {
            mediaType: MEDIA.dockerManifest,
            digest: sha256(schema2),
            size: schema2.length,
            platform: { architecture: 'arm64', os: 'linux' },
          },
        ],
      });
      expect((await putManifest(registry, 'img/docker', 'multi', list, MEDIA.dockerList)).status).toBe(201);
      const response = await registry.fetch('/v2/img/docker/manifests/multi');
      expect(response.headers.get('content-type')).toBe(MEDIA.dockerList);
      expect(await response.text()).toBe(list);
    });

    it('PUT by digest with several ?tag= → OCI-Tag and every tag resolves', async () => {
      const body = await imageManifest(registry, 'img/tags', { layer: 'multi-tag layer' });
      const manifestDigest = sha256(body);
      const response = await registry.fetch(
        `/v2/img/tags/manifests/${manifestDigest}?tag=1.2.3&tag=1.2&tag=1`,
        {
          method: 'PUT',
          headers: { 'Content-Type': MEDIA.ociManifest },
          body,
        },
      );
      expect(response.status).toBe(201);
      expect(response.headers.get('oci-tag')).toBe('1.2.3, 1.2, 1');
      for (const tag of ['1.2.3', '1.2', '1']) {
        const head = await registry.fetch(`/v2/img/tags/manifests/${tag}`, { method: 'HEAD' });
        expect(head.headers.get('docker-content-digest')).toBe(manifestDigest);
      }
    });

    it('PUT with a subject answers OCI-Subject, even when the subject does not exist yet', async () => {
      const subject = { mediaType: MEDIA.ociManifest, digest: sha256('future subject'), size: 14 };
      const body = await imageManifest(registry, 'img/sub', {
        subject,
        artifactType: 'application/vnd.test.sig',
      });
      const response = await putManifest(registry, 'img/sub', sha256(body), body);
      expect(response.status).toBe(201);
      expect(response.headers.get('oci-subject')).toBe(subject.digest);
    });

    it('sha512: manifests and an index of them pushed by digest are stored, served and kept by GC under sha512', async () => {
      await using own = await startTestRegistry({ storage });
      const name = 'img/sha512';
      const config = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
      const configDigest = await pushBlob(own, name, config, 'sha512');
      const child = async (layer: string) => {
        const layerDigest = await pushBlob(own, name, layer, 'sha512');
        return JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.ociManifest,
          config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
          layers: [{ mediaType: MEDIA.ociLayer, digest: layerDigest, size: layer.length }],
        });
      };
      const children = [await child('amd64 layer'), await child('arm64 layer')];
      const orphan = await child('nobody refers to me');
      for (const body of [...children, orphan]) {
        const response = await putManifest(own, name, sha512(body), body);
        expect(response.status).toBe(201);
        expect(response.headers.get('docker-content-digest')).toBe(sha512(body));
        // The Location the client is given must resolve: the bug was a 201 whose Location was a 404.
        const location = response.headers.get('location') as string;
        expect(location).toBe(`/v2/${name}/manifests/${sha512(body)}`);
        const fetched = await own.fetch(location);
        expect(fetched.status).toBe(200);
        expect(fetched.headers.get('docker-content-digest')).toBe(sha512(body));
        expect(await fetched.text()).toBe(body);
        // Stored under the digest the client chose, not under a sha256 of its own.
        expect((await own.fetch(`/v2/${name}/manifests/${sha256(body)}`)).status).toBe(404);
      }
      const index = JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociIndex,
        manifests: children.map((body, i) => ({
          mediaType: MEDIA.ociManifest,
          digest: sha512(body),
          size: body.length,
          platform: { architecture: ['amd64', 'arm64'][i], os: 'linux' },
        })),
      });
      const pushed = await own.fetch(`/v2/${name}/manifests/${sha512(index)}?tag=multi`, {
        method: 'PUT',
        headers: { 'Content-Type': MEDIA.ociIndex },
        body: index,
      });
      expect(pushed.status).toBe(201);
      expect(pushed.headers.get('oci-tag')).toBe('multi');
      const byTag = await own.fetch(`/v2/${name}/manifests/multi`, { method: 'HEAD' });
      expect(byTag.headers.get('docker-content-digest')).toBe(sha512(index));

      const report = await garbageCollect(own.namespace, { deleteUntagged: true, gracePeriodMs: 0 });
      // GC did run: it removed the one manifest nothing reaches, and only that one.
      expect(report.manifestsDeleted).toEqual([{ repository: name, digest: sha512(orphan) }]);
      for (const body of [index, ...children]) {
        const response = await own.fetch(`/v2/${name}/manifests/${sha512(body)}`);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(body);
      }
      expect((await own.fetch(`/v2/${name}/blobs/${configDigest}`)).status).toBe(200);
      for (const body of children) {
        const layer = (JSON.parse(body) as { layers: { digest: string }[] }).layers[0]?.digest;
        expect((await own.fetch(`/v2/${name}/blobs/${layer}`)).status).toBe(200);
      }
      expect((await own.fetch(`/v2/${name}/manifests/${sha512(orphan)}`)).status).toBe(404);
    });

    describe('refused pushes change nothing', () => {
      const cases: [
        string,
        number,
        string,
        () => Promise<{ reference: string; body: string; type?: string }>,
      ][] = [
        ['invalid JSON', 400, 'MANIFEST_INVALID', async () => ({ reference: 'bad', body: '{not json' })],
        [
          'a reference to an unknown blob',
          400,
          'MANIFEST_BLOB_UNKNOWN',
          async () => ({
            reference: 'missing',
            body: JSON.stringify({
              schemaVersion: 2,
              mediaType: MEDIA.ociManifest,
              config: { mediaType: MEDIA.ociConfig, digest: sha256('no config'), size: 9 },
              layers: [],
            }),
          }),
        ],
        [
          'a digest that does not match the body',
          400,
          'DIGEST_INVALID',
          async () => ({ reference: sha256('other'), body: await imageManifest(registry, 'img/refuse') }),
        ],
        [
          'a manifest over the size limit',
          413,
          'MANIFEST_INVALID',
          async () => ({
            reference: 'huge',
            body: JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(70_000) }),
          }),
        ],
        [
          'an invalid tag',
          400,
          'TAG_INVALID',
          async () => ({ reference: '-bad-tag', body: await imageManifest(registry, 'img/refuse') }),
        ],
        [
          'a media type that contradicts the body',
          400,
          'MANIFEST_INVALID',
          async () => ({
            reference: 'mismatch',
            body: await imageManifest(registry, 'img/refuse'),
            type: MEDIA.dockerList,
          }),
        ],
      ];
      it.each(cases)('%s → %i %s', async (_label, status, code, make) => {
        const { reference, body, type } = await make();
        const before = await registry.snapshot();
        const response = await putManifest(registry, 'img/refuse', reference, body, type);
        expect(response.status).toBe(status);
        expect((await errorsOf(response))[0]?.code).toBe(code);
        expect(await registry.snapshot()).toEqual(before);
      });
    });

    it('DELETE of a tag keeps the manifest; DELETE by digest removes it and its tags', async () => {
      const body = await imageManifest(registry, 'img/del', { layer: 'delete me' });
      const manifestDigest = sha256(body);
      expect((await putManifest(registry, 'img/del', 'a', body)).status).toBe(201);
      expect((await putManifest(registry, 'img/del', 'b', body)).status).toBe(201);
      expect((await registry.fetch('/v2/img/del/manifests/a', { method: 'DELETE' })).status).toBe(202);
      expect((await registry.fetch('/v2/img/del/manifests/a')).status).toBe(404);
      expect((await registry.fetch(`/v2/img/del/manifests/${manifestDigest}`)).status).toBe(200);
      expect(
        (await registry.fetch(`/v2/img/del/manifests/${manifestDigest}`, { method: 'DELETE' })).status,
      ).toBe(202);
      expect((await registry.fetch(`/v2/img/del/manifests/${manifestDigest}`)).status).toBe(404);
      expect((await registry.fetch('/v2/img/del/manifests/b')).status).toBe(404);
      const again = await registry.fetch('/v2/img/del/manifests/a', { method: 'DELETE' });
      expect(again.status).toBe(404);
      expect((await errorsOf(again))[0]?.code).toBe('MANIFEST_UNKNOWN');
    });
  });
}
