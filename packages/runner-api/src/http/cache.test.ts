import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, manualClock, startApi } from '../test-support/harness.js';

/** A raw request, so paths reach the server exactly as written (no URL normalisation). */
function raw(
  url: string,
  method: string,
  rawPath: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, method, path: rawPath, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

const PRESIGN =
  '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x%2F20260101%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abc';

describe('S3-compatible cache endpoint', () => {
  let h: Harness;
  const clock = manualClock();
  beforeEach(async () => {
    h = await startApi({ clock, cache: { maxSize: 1000, ttlMs: 3600_000, maxEntrySize: 600 } });
  });
  afterEach(() => h.close());

  const key = '/runner-cache/project/1/deps-non_protected';

  it('stores with a presigned PUT and serves HEAD and GET with S3 headers', async () => {
    const put = await raw(h.url, 'PUT', `${key}${PRESIGN}`, 'zipbytes', {
      'Content-Type': 'application/octet-stream',
      'x-amz-meta-cachekey': 'deps-non_protected',
    });
    expect(put.status).toBe(200);
    expect(put.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await raw(h.url, 'HEAD', `${key}${PRESIGN}`);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('8');
    expect(new Date(head.headers['last-modified']!).getTime()).toBe(Math.floor(clock.now() / 1000) * 1000);
    expect(head.headers['x-amz-meta-cachekey']).toBe('deps-non_protected');
    const get = await raw(h.url, 'GET', `${key}${PRESIGN}&x-id=GetObject`);
    expect(get.status).toBe(200);
    expect(get.body.toString()).toBe('zipbytes');
    expect(get.headers.etag).toBe(put.headers.etag);
    expect(h.api.cache.usage()).toBe(8);
  });

  it('answers missing keys with 404 (empty for HEAD, XML for GET) and serves ?location', async () => {
    const head = await raw(h.url, 'HEAD', '/runner-cache/project/1/none');
    expect(head.status).toBe(404);
    expect(head.body.length).toBe(0);
    const get = await raw(h.url, 'GET', '/runner-cache/project/1/none');
    expect(get.status).toBe(404);
    expect(get.body.toString()).toContain('<Code>NoSuchKey</Code>');
    const location = await raw(h.url, 'GET', '/runner-cache?location');
    expect(location.status).toBe(200);
    expect(location.body.toString()).toContain('<LocationConstraint');
  });

  it('refuses path tricks', async () => {
    for (const trick of [
      '/runner-cache/../../etc/passwd',
      '/runner-cache/a/%2e%2e/b',
      '/runner-cache/a//b',
      '/runner-cache/a/./b',
      '/runner-cache/a%5cb',
      '/runner-cache/a%00b',
      '/runner-cache/%zz',
    ]) {
      const reply = await raw(h.url, 'PUT', trick, 'x');
      expect(reply.status, trick).toBe(400);
      expect((await raw(h.url, 'GET', trick)).status, trick).toBe(400);
    }
    expect(await readdir(path.join(h.dataDir, 'cache', 'objects')).catch(() => [])).toEqual([]);
  });

  it('answers 507 past max_size, 413 past the per-entry cap, and 405 for other methods', async () => {
    expect((await raw(h.url, 'PUT', '/runner-cache/a', Buffer.alloc(500))).status).toBe(200);
    const full = await raw(h.url, 'PUT', '/runner-cache/b', Buffer.alloc(501));
    expect(full.status).toBe(507);
    expect(full.body.toString()).toContain('InsufficientStorage');
    // Replacing an entry counts only the difference.
    expect((await raw(h.url, 'PUT', '/runner-cache/a', Buffer.alloc(600))).status).toBe(200);
    expect((await raw(h.url, 'PUT', '/runner-cache/c', Buffer.alloc(601))).status).toBe(413);
    expect((await raw(h.url, 'DELETE', '/runner-cache/a')).status).toBe(405);
    expect((await raw(h.url, 'PUT', '/runner-cache/a', 'x', { 'Content-Length': 'abc' })).status).toBe(400);
    expect(h.api.cache.usage()).toBe(600);
  });

  it('counts chunked uploads against the limits as they stream', async () => {
    const { hostname, port } = new URL(h.url);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        { hostname, port, method: 'PUT', path: '/runner-cache/chunked' },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', () => resolve(-1));
      for (let i = 0; i < 10; i++) request.write(Buffer.alloc(100));
      request.end();
      void reject;
    });
    expect([413, -1]).toContain(status);
    expect(h.api.cache.usage()).toBe(0);
  });

  it('prunes expired entries on upload and refuses them on download', async () => {
    await raw(h.url, 'PUT', '/runner-cache/old', Buffer.alloc(400));
    clock.advance(3600_000);
    expect((await raw(h.url, 'GET', '/runner-cache/old')).status).toBe(404);
    expect((await raw(h.url, 'HEAD', '/runner-cache/old')).status).toBe(404);
    expect((await raw(h.url, 'PUT', '/runner-cache/new', Buffer.alloc(600))).status).toBe(200);
    expect(h.api.cache.usage()).toBe(600);
  });

  it('persists entries on the volume across instances and empties it with clean()', async () => {
    await raw(h.url, 'PUT', '/runner-cache/keep', 'kept');
    await using second = await startApi({
      clock,
      cache: { root: path.join(h.dataDir, 'cache'), maxSize: 1000, ttlMs: 3600_000 },
    });
    const get = await raw(second.url, 'GET', '/runner-cache/keep');
    expect(get.body.toString()).toBe('kept');
    expect(await second.api.cache.clean()).toEqual({ entries: 1, bytes: 4 });
    expect((await raw(second.url, 'GET', '/runner-cache/keep')).status).toBe(404);
  });

  it('leaves other paths and buckets to the rest of the server', async () => {
    const other = await raw(h.url, 'GET', '/other-bucket/key');
    expect(other.status).toBe(404);
    expect((await raw(h.url, 'GET', '/runner-cachex/key')).status).toBe(404);
  });
});
