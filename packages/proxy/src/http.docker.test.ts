import { createHash } from 'node:crypto';
import { createLogger } from '@glci/config';
import { createRegistry, type RunningRegistry } from '@glci/registry';
import { ensureTestImages } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyNamespace } from './create-proxy.js';
import { proxyOver, startUpstreams, type TestClock, type Upstreams } from './test-support/harness.js';

const HOUR = 3_600_000;
const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

let upstreams: Upstreams;
let registry: RunningRegistry;
let proxy: ProxyNamespace;
let clock: TestClock;

beforeAll(async () => {
  await ensureTestImages();
  upstreams = await startUpstreams();
  ({ proxy, clock } = proxyOver(upstreams));
  registry = await createRegistry({ namespace: proxy, logger: createLogger({ silent: true }) }).listen({
    port: 0,
  });
}, 300_000);

afterAll(async () => {
  await registry?.close();
  await upstreams?.[Symbol.asyncDispose]();
});

const get = (path: string, method = 'GET') =>
  fetch(`${registry.url}${path}`, { method, headers: { accept: MANIFEST_ACCEPT } });

describe('the proxy behind the registry HTTP layer', () => {
  it('answers a stale copy with a Warning header when the upstream rate-limits, and 429 + Retry-After when nothing is cached', async () => {
    const fresh = await get('/v2/glci/multilayer/manifests/1');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('warning')).toBeNull();
    upstreams.b.failWith({ status: 429, retryAfter: '90' });
    try {
      clock.advance(25 * HOUR);
      for (const method of ['HEAD', 'GET']) {
        const stale = await get('/v2/glci/multilayer/manifests/1', method);
        expect(stale.status).toBe(200);
        expect(stale.headers.get('warning')).toMatch(
          /^299 - "glci proxy: upstream .* failed \(rate-limited 429\)/,
        );
      }
      const cold = await get('/v2/glci/multilayer/manifests/busybox');
      expect(cold.status).toBe(429);
      expect(cold.headers.get('retry-after')).toBe('90');
      const body = (await cold.json()) as { errors: { code: string }[] };
      expect(body.errors[0]!.code).toBe('TOOMANYREQUESTS');
    } finally {
      upstreams.b.failWith(undefined);
    }
  });

  it('echoes the ns parameter as OCI-Namespace and refuses an unconfigured one', async () => {
    const chosen = await get('/v2/glci/busybox/manifests/1?ns=upstream-a.test');
    expect(chosen.status).toBe(200);
    expect(chosen.headers.get('oci-namespace')).toBe('upstream-a.test');
    upstreams.a.reset();
    upstreams.b.reset();
    const refused = await get('/v2/glci/busybox/manifests/1?ns=quay.io');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('DENIED');
    expect(upstreams.a.requests).toEqual([]);
    expect(upstreams.b.requests).toEqual([]);
  });

  it('answers MANIFEST_UNKNOWN naming the upstreams tried', async () => {
    const missing = await get('/v2/glci/absent/manifests/1');
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe('MANIFEST_UNKNOWN');
    expect(body.errors[0]!.message).toContain(upstreams.a.url);
    expect(body.errors[0]!.message).toContain(upstreams.b.url);
  });

  it('lists upstream tags merged with local ones, and the catalog of what is here', async () => {
    const tags = await get('/v2/glci/multilayer/tags/list');
    expect(tags.status).toBe(200);
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual(['1', 'busybox', 'moving', 'multi']);
    const catalog = await get('/v2/_catalog');
    expect(((await catalog.json()) as { repositories: string[] }).repositories).toEqual(
      expect.arrayContaining(['glci/busybox', 'glci/multilayer']),
    );
  });

  it('stores a manifest pushed by a sha512 digest under that digest, so its Location resolves', async () => {
    const sha512 = (bytes: string) => `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    const config = '{"architecture":"amd64","os":"linux"}';
    const blob = await fetch(`${registry.url}/v2/local/sha512/blobs/uploads/?digest=${sha512(config)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: config,
    });
    expect(blob.status).toBe(201);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha512(config),
        size: config.length,
      },
      layers: [],
    });
    const put = await fetch(`${registry.url}/v2/local/sha512/manifests/${sha512(manifest)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    expect(put.status).toBe(201);
    const location = put.headers.get('location') as string;
    expect(location).toBe(`/v2/local/sha512/manifests/${sha512(manifest)}`);
    const fetched = await get(location);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('docker-content-digest')).toBe(sha512(manifest));
    expect(await fetched.text()).toBe(manifest);
  });
});
