import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorsOf, pushBlob, sha256, startTestRegistry, type TestRegistry } from '../fixture.js';
import type { TestStorage } from '../test-storage.js';

/** Blob GET, HEAD, ranges and DELETE over HTTP, on `storage`. */
export function describeBlobs(storage: TestStorage): void {
  describe(`blobs (${storage.kind})`, () => {
    let registry: TestRegistry;
    const content = 'The quick brown fox jumps over the lazy dog';
    let digest: string;

    beforeAll(async () => {
      registry = await startTestRegistry({ storage });
      digest = await pushBlob(registry, 'team/app', content);
    });
    afterAll(() => registry[Symbol.asyncDispose]());

    it('GET streams the blob with digest, length, ETag and the API version header', async () => {
      const response = await registry.fetch(`/v2/team/app/blobs/${digest}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(content);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      expect(response.headers.get('content-length')).toBe(String(content.length));
      expect(response.headers.get('etag')).toBe(`"${digest}"`);
      expect(response.headers.get('accept-ranges')).toBe('bytes');
      expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    });

    it('HEAD answers the same headers without a body', async () => {
      const response = await registry.fetch(`/v2/team/app/blobs/${digest}`, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(content.length));
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      expect(await response.text()).toBe('');
    });

    it.each([
      ['bytes=4-8', 'quick', `bytes 4-8/${content.length}`],
      ['bytes=40-', 'dog', `bytes 40-42/${content.length}`],
      ['bytes=-3', 'dog', `bytes 40-42/${content.length}`],
      ['bytes=0-0', 'T', `bytes 0-0/${content.length}`],
    ])('Range %s → 206 %s', async (range, body, contentRange) => {
      const response = await registry.fetch(`/v2/team/app/blobs/${digest}`, { headers: { Range: range } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(contentRange);
      expect(response.headers.get('content-length')).toBe(String(body.length));
      expect(await response.text()).toBe(body);
    });

    it.each(['bytes=43-', 'bytes=9-3', 'bytes=-0', 'bytes=x-y'])(
      'Range %s → 416 with the size',
      async (range) => {
        const response = await registry.fetch(`/v2/team/app/blobs/${digest}`, { headers: { Range: range } });
        expect(response.status).toBe(416);
        expect(response.headers.get('content-range')).toBe(`bytes */${content.length}`);
        expect((await errorsOf(response))[0]?.code).toBe('RANGE_INVALID');
      },
    );

    it('answers 304 to If-None-Match with the ETag', async () => {
      const response = await registry.fetch(`/v2/team/app/blobs/${digest}`, {
        headers: { 'If-None-Match': `"${digest}"` },
      });
      expect(response.status).toBe(304);
    });

    it('a blob not linked into the repository is unknown there (content is global, links are not)', async () => {
      const response = await registry.fetch(`/v2/other/app/blobs/${digest}`);
      expect(response.status).toBe(404);
      expect((await errorsOf(response))[0]?.code).toBe('BLOB_UNKNOWN');
    });

    it('serves zero-byte blobs', async () => {
      const empty = await pushBlob(registry, 'team/app', '');
      expect(empty).toBe(sha256(''));
      const response = await registry.fetch(`/v2/team/app/blobs/${empty}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('0');
      expect(await response.text()).toBe('');
    });

    it('streams a large blob intact (8 MiB) and ranges deep inside it', async () => {
      const big = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
      const bigDigest = await pushBlob(registry, 'team/big', big);
      const response = await registry.fetch(`/v2/team/big/blobs/${bigDigest}`);
      const received = Buffer.from(await response.arrayBuffer());
      expect(sha256(received)).toBe(bigDigest);
      const ranged = await registry.fetch(`/v2/team/big/blobs/${bigDigest}`, {
        headers: { Range: 'bytes=5000000-5000007' },
      });
      expect(Buffer.from(await ranged.arrayBuffer())).toEqual(big.subarray(5_000_000, 5_000_008));
    });

    it('DELETE unlinks the blob from the repository → 202, then 404', async () => {
      const other = await pushBlob(registry, 'team/del', 'to be deleted');
      const response = await registry.fetch(`/v2/team/del/blobs/${other}`, { method: 'DELETE' });
      expect(response.status).toBe(202);
      expect((await registry.fetch(`/v2/team/del/blobs/${other}`, { method: 'HEAD' })).status).toBe(404);
    });
  });
}
