import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@glci/config';
import {
  BlobUnknownError,
  createNamespace,
  FsDriver,
  garbageCollect,
  ManifestUnknownError,
  parseDigest,
  type RegistryNamespace,
  TooManyRequestsError,
  UpstreamError,
} from '@glci/registry';
import { ensureTestImages, waitFor } from '@glci/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { UpstreamNotConfiguredError } from './errors.js';
import { HttpUpstreamClient } from './http-upstream-client.js';
import { manifestBlobs } from './manifest-references.js';
import {
  credentials,
  localNamespace,
  proxyOver,
  startUpstreams,
  TestClock,
  type Upstreams,
} from './test-support/harness.js';
import { pullThrough } from './test-support/pull.js';

const HOUR = 3_600_000;
let upstreams: Upstreams;

beforeAll(async () => {
  await ensureTestImages();
  upstreams = await startUpstreams();
}, 300_000);

afterAll(async () => {
  await upstreams?.[Symbol.asyncDispose]();
});

beforeEach(() => {
  upstreams.a.cutBlobsAfter(undefined);
  upstreams.b.cutBlobsAfter(undefined);
  upstreams.a.failWith(undefined);
  upstreams.b.failWith(undefined);
  upstreams.a.reset();
  upstreams.b.reset();
});

/** Upstream requests that were answered (the 401 that starts the token flow is not content). */
const answered = (lines: string[]) => lines.filter((line) => !line.endsWith(' 401'));

describe('pull-through over ordered real upstreams', () => {
  it('asks the first upstream, falls through its 404 to the second, and fetches each blob once', async () => {
    const { proxy } = proxyOver(upstreams);
    const pulled = await pullThrough(proxy, 'glci/multilayer', '1');
    expect(pulled.blobs.length).toBeGreaterThanOrEqual(5);
    expect(upstreams.a.requests).toEqual(['GET /v2/glci/multilayer/manifests/1 404']);
    const fromB = answered(upstreams.b.requests);
    expect(fromB.filter((line) => line.startsWith('GET /v2/glci/multilayer/manifests/1 200'))).toHaveLength(
      1,
    );
    for (const blob of pulled.blobs) {
      expect(fromB.filter((line) => line === `GET /v2/glci/multilayer/blobs/${blob} 200`)).toHaveLength(1);
    }
    expect(fromB).toHaveLength(1 + pulled.blobs.length);
    // The token came from the realm with the upstream's credentials; distribution accepted it.
    expect(upstreams.tokens.requests.some((request) => request.authenticated)).toBe(true);
    const stats = proxy.stats().upstreams[1]!;
    expect(stats.bytesFetched).toBeGreaterThanOrEqual(pulled.bytes);
    expect(stats.misses).toBe(1 + pulled.blobs.length);
  });

  it('serves a second pull inside the validity window with zero upstream requests', async () => {
    const { proxy, clock } = proxyOver(upstreams);
    const first = await pullThrough(proxy, 'glci/multilayer', '1');
    upstreams.a.reset();
    upstreams.b.reset();
    clock.advance(23 * HOUR);
    const second = await pullThrough(proxy, 'glci/multilayer', '1');
    expect(second.digest).toBe(first.digest);
    expect(upstreams.a.requests).toEqual([]);
    expect(upstreams.b.requests).toEqual([]);
    const stats = proxy.stats().upstreams[1]!;
    expect(stats.bytesFromCache).toBeGreaterThanOrEqual(second.bytes);
    expect(stats.hits).toBeGreaterThanOrEqual(2 + second.blobs.length);
  });

  it('answers 100 pulls of a cached tag with no upstream request, and 100 more after the window with one HEAD', async () => {
    const { proxy, clock } = proxyOver(upstreams);
    await pullThrough(proxy, 'glci/busybox', '1');
    upstreams.a.reset();
    upstreams.b.reset();
    for (let pull = 0; pull < 100; pull++) await pullThrough(proxy, 'glci/busybox', '1');
    expect(upstreams.a.requests).toEqual([]);
    clock.advance(25 * HOUR);
    await Promise.all(Array.from({ length: 100 }, () => pullThrough(proxy, 'glci/busybox', '1')));
    expect(upstreams.a.requests).toEqual(['HEAD /v2/glci/busybox/manifests/1 200']);
    expect(upstreams.b.requests).toEqual([]);
  });

  it('revalidates after the window with exactly one HEAD, and refetches only when the digest changed', async () => {
    const { proxy, clock } = proxyOver(upstreams);
    const first = await pullThrough(proxy, 'glci/multilayer', 'moving');
    upstreams.a.reset();
    upstreams.b.reset();
    clock.advance(25 * HOUR);
    const again = await pullThrough(proxy, 'glci/multilayer', 'moving');
    expect(again.digest).toBe(first.digest);
    expect(answered(upstreams.b.requests)).toEqual(['HEAD /v2/glci/multilayer/manifests/moving 200']);
    expect(upstreams.a.requests).toEqual([]);
    expect(proxy.stats().upstreams[1]!.revalidations).toBe(1);

    // Move the tag upstream to another image; the next revalidation sees it and fetches what is new.
    const writer = new HttpUpstreamClient({
      url: upstreams.bUrl,
      ...credentials,
      logger: createLogger({ silent: true }),
      clock: systemClock,
    });
    const other = (await writer.getManifest('glci/multilayer', '1'))!;
    await writer.pushManifest('glci/multilayer', 'moving', other.content, other.descriptor.mediaType);
    try {
      upstreams.b.reset();
      clock.advance(25 * HOUR);
      const moved = await pullThrough(proxy, 'glci/multilayer', 'moving');
      expect(moved.digest).toBe(String(other.descriptor.digest));
      const lines = answered(upstreams.b.requests);
      expect(lines[0]).toBe('HEAD /v2/glci/multilayer/manifests/moving 200');
      expect(lines[1]).toBe('GET /v2/glci/multilayer/manifests/moving 200');
      // busybox's layer was cached by the first pull: only the new blobs are fetched.
      const newBlobs = moved.blobs.filter((blob) => !first.blobs.includes(blob));
      expect(lines.slice(2).sort()).toEqual(
        newBlobs.map((blob) => `GET /v2/glci/multilayer/blobs/${blob} 200`).sort(),
      );
    } finally {
      const original = (await writer.getManifest('glci/multilayer', 'busybox'))!;
      await writer.pushManifest('glci/multilayer', 'moving', original.content, original.descriptor.mediaType);
    }
  });

  it('shares one upstream download per blob among 20 concurrent cold pulls', async () => {
    const { proxy } = proxyOver(upstreams);
    const pulls = await Promise.all(
      Array.from({ length: 20 }, () => pullThrough(proxy, 'glci/multilayer', '1')),
    );
    expect(new Set(pulls.map((pull) => pull.digest)).size).toBe(1);
    const lines = answered(upstreams.b.requests);
    expect(lines.filter((line) => line.includes('/manifests/'))).toEqual([
      'GET /v2/glci/multilayer/manifests/1 200',
    ]);
    for (const blob of pulls[0]!.blobs) {
      expect(lines.filter((line) => line.includes(blob))).toEqual([
        `GET /v2/glci/multilayer/blobs/${blob} 200`,
      ]);
    }
    expect(upstreams.a.requests).toEqual(['GET /v2/glci/multilayer/manifests/1 404']);
    const stats = proxy.stats().upstreams[1]!;
    expect(stats.bytesFetched).toBe(pulls[0]!.bytes + (await manifestSize(proxy, pulls[0]!.digest)));
  });

  it('pulls a multi-arch manifest list with every child and blob intact', async () => {
    const { proxy } = proxyOver(upstreams);
    const pulled = await pullThrough(proxy, 'glci/multilayer', 'multi');
    expect(pulled.digest).toBe(upstreams.multiDigest);
    expect(pulled.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    upstreams.b.reset();
    const again = await pullThrough(proxy, 'glci/multilayer', 'multi');
    expect(again.blobs).toEqual(pulled.blobs);
    expect(upstreams.b.requests).toEqual([]);
  });

  it('serves the cached image when the upstream is stopped, with a Warning', async () => {
    const { proxy, clock } = proxyOver(upstreams);
    const first = await pullThrough(proxy, 'glci/busybox', '1');
    await upstreams.a.stop();
    try {
      clock.advance(25 * HOUR);
      const stale = await pullThrough(proxy, 'glci/busybox', '1');
      expect(stale.digest).toBe(first.digest);
      expect(stale.warnings).toHaveLength(1);
      expect(stale.warnings[0]).toMatch(
        /^299 - ".*failed \(unreachable\); serving the cached copy of glci\/busybox:1"$/,
      );
      expect(proxy.stats().upstreams[0]!.staleServed).toBe(1);
      // Nothing cached, the upstream down and the other without it: a 5xx naming it, not a 404.
      const cold = proxyOver(upstreams).proxy;
      const error = await pullThrough(cold, 'glci/busybox', '1').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as Error).message).toContain(upstreams.a.url);
    } finally {
      await upstreams.a.start();
    }
  });

  it('serves the cached image through a 429, and passes the 429 and Retry-After on when nothing is cached', async () => {
    const { proxy, clock } = proxyOver(upstreams);
    const first = await pullThrough(proxy, 'glci/multilayer', '1');
    upstreams.b.failWith({ status: 429, retryAfter: '120' });
    clock.advance(25 * HOUR);
    const stale = await pullThrough(proxy, 'glci/multilayer', '1');
    expect(stale.digest).toBe(first.digest);
    expect(stale.warnings[0]).toMatch(/rate-limited 429/);
    expect(upstreams.b.requests.at(-1)).toBe('HEAD /v2/glci/multilayer/manifests/1 429');

    const cold = proxyOver(upstreams).proxy;
    const error = await pullThrough(cold, 'glci/multilayer', '1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as TooManyRequestsError).retryAfterSeconds).toBe(120);
  });

  it('answers a 5xx naming the upstream when it fails and nothing is cached', async () => {
    upstreams.b.failWith({ status: 503 });
    const { proxy } = proxyOver(upstreams);
    const error = await pullThrough(proxy, 'glci/multilayer', '1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toContain(upstreams.b.url);
    expect((error as Error).message).toContain('503');
  });

  it('answers MANIFEST_UNKNOWN and BLOB_UNKNOWN naming the upstreams tried', async () => {
    const { proxy } = proxyOver(upstreams);
    const repository = await proxy.repository('glci/nowhere');
    const error = await repository.tags.resolve('1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManifestUnknownError);
    expect((error as Error).message).toContain(upstreams.a.url);
    expect((error as Error).message).toContain(upstreams.b.url);
    const digest = parseDigest(`sha256:${createHash('sha256').update('absent').digest('hex')}`);
    // In a repository whose manifest came from upstream, a missing blob is asked of the upstreams.
    const proxied = await proxy.repository('glci/multilayer');
    await proxied.tags.resolve('1');
    const blobError = await proxied.blobs.stat(digest).catch((caught: unknown) => caught);
    expect(blobError).toBeInstanceOf(BlobUnknownError);
    expect((blobError as Error).message).toContain(upstreams.b.url);
    // Elsewhere (a push probing its layers) no upstream is asked at all.
    upstreams.a.reset();
    upstreams.b.reset();
    const pushed = await repository.blobs.stat(digest).catch((caught: unknown) => caught);
    expect(pushed).toBeInstanceOf(BlobUnknownError);
    expect((pushed as Error).message).toContain('no upstream was asked');
    expect(upstreams.a.requests).toEqual([]);
    expect(upstreams.b.requests).toEqual([]);
  });

  it('moves past an upstream that refuses access, and names the refusal when nothing else has it', async () => {
    const { proxy } = proxyOver(upstreams, {
      credentialsB: { username: credentials.username, password: 'wrong' },
    });
    const error = await pullThrough(proxy, 'glci/multilayer', '1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManifestUnknownError);
    expect((error as Error).message).toContain(`${upstreams.b.url} (refused access`);
    // An anonymous upstream that has it still serves, after the refusing one.
    const { proxy: other } = proxyOver(upstreams, {
      credentialsB: { username: credentials.username, password: 'wrong' },
    });
    const busybox = await pullThrough(other, 'upstream-a.test/glci/busybox', '1');
    expect(busybox.blobs.length).toBeGreaterThan(0);
  });

  it('routes host-prefixed names and ns to one upstream and refuses unconfigured hosts without contacting anyone', async () => {
    const { proxy } = proxyOver(upstreams);
    const pulled = await pullThrough(proxy, 'upstream-b.test/glci/multilayer', 'busybox');
    expect(pulled.blobs.length).toBeGreaterThan(0);
    expect(upstreams.a.requests).toEqual([]);

    const byNs = await proxy.repository('glci/busybox', { namespace: 'upstream-a.test' });
    expect(byNs.ociNamespace).toBe('upstream-a.test');
    await byNs.tags.resolve('1');
    expect(upstreams.b.requests.filter((line) => line.includes('glci/busybox'))).toEqual([]);

    upstreams.a.reset();
    upstreams.b.reset();
    const refused = await proxy.repository('ghcr.io/org/image');
    await expect(refused.tags.resolve('1')).rejects.toBeInstanceOf(UpstreamNotConfiguredError);
    const refusedNs = await proxy.repository('org/image', { namespace: 'quay.io' });
    await expect(refusedNs.tags.resolve('1')).rejects.toThrow(/quay\.io is not configured/);
    expect(upstreams.a.requests).toEqual([]);
    expect(upstreams.b.requests).toEqual([]);
  });

  it('lets locally pushed content win and lists upstream tags (cached) merged with local ones', async () => {
    const { proxy } = proxyOver(upstreams);
    const repository = await proxy.repository('glci/multilayer');
    const config = await repository.blobs.put('application/vnd.oci.image.config.v1+json', Buffer.from('{}'));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: config.mediaType, digest: String(config.digest), size: config.size },
        layers: [],
      }),
    );
    const pushed = await repository.manifests.put(manifest, 'application/vnd.oci.image.manifest.v1+json');
    await repository.tags.tag('1', pushed.descriptor);
    await repository.tags.tag('local-only', pushed.descriptor);
    upstreams.a.reset();
    upstreams.b.reset();
    const resolved = await (await proxy.repository('glci/multilayer')).tags.resolve('1');
    expect(String(resolved.digest)).toBe(String(pushed.descriptor.digest));
    expect(upstreams.a.requests).toEqual([]);
    expect(upstreams.b.requests).toEqual([]);

    const listed = await (await proxy.repository('glci/multilayer')).tags.list();
    expect(listed.tags).toEqual(['1', 'busybox', 'local-only', 'moving', 'multi']);
    const requestsAfterFirstList = answered(upstreams.b.requests).length;
    await (await proxy.repository('glci/multilayer')).tags.list();
    expect(answered(upstreams.b.requests)).toHaveLength(requestsAfterFirstList);
    const page = await (await proxy.repository('glci/multilayer')).tags.list({ last: 'busybox', n: 2 });
    expect(page).toEqual({ tags: ['local-only', 'moving'], more: true });

    await pullThrough(proxy, 'glci/busybox', '1');
    const catalog = await proxy.catalog();
    expect(catalog.repositories).toEqual(expect.arrayContaining(['glci/busybox', 'glci/multilayer']));
  });

  it('never serves, through a proxied repository, a blob pushed to another repository: a digest is no key', async () => {
    const { proxy } = proxyOver(upstreams);
    const secret = Buffer.from('private build secret of team A');
    const pushed = await (await proxy.repository('team-a/private')).blobs.put(
      'application/octet-stream',
      secret,
    );
    await pullThrough(proxy, 'glci/busybox', '1'); // glci/busybox now pulls through the proxy
    upstreams.a.reset();
    const proxied = await proxy.repository('glci/busybox');
    await expect(proxied.blobs.open(pushed.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    await expect(proxied.blobs.stat(pushed.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    // The upstream was asked (and said no): the local copy was not mounted.
    expect(upstreams.a.requests.some((line) => line.includes(String(pushed.digest)))).toBe(true);
    // A repository with nothing pulled through never even asks.
    await expect((await proxy.repository('team-b/app')).blobs.open(pushed.digest)).rejects.toBeInstanceOf(
      BlobUnknownError,
    );
  });

  it('fails every reader of a download the upstream cuts short, caches nothing, and fetches again next time', async () => {
    const { proxy, local } = proxyOver(upstreams);
    const repository = await proxy.repository('glci/multilayer');
    const manifest = await repository.manifests.get((await repository.tags.resolve('1')).digest);
    const largest = manifestBlobs(manifest.content).sort((x, y) => y.size - x.size)[0]!;
    const digest = parseDigest(largest.digest);
    upstreams.b.cutBlobsAfter(100_000);
    const readers = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const handle = await proxy.repository('glci/multilayer');
        return await handle.blobs.open(digest);
      }),
    );
    for (const reader of readers) {
      await expect(
        (async () => {
          for await (const _ of reader) {
            // drain
          }
        })(),
      ).rejects.toThrow();
    }
    await waitFor(
      'the failed download to be released',
      async () => proxy.stats().cache.downloadsInFlight === 0,
    );
    await expect((await local.repository('glci/multilayer')).blobs.stat(digest)).rejects.toBeInstanceOf(
      BlobUnknownError,
    );
    upstreams.b.cutBlobsAfter(undefined);
    upstreams.b.reset();
    const chunks: Buffer[] = [];
    for await (const chunk of await (await proxy.repository('glci/multilayer')).blobs.open(digest))
      chunks.push(chunk as Buffer);
    expect(`sha256:${createHash('sha256').update(Buffer.concat(chunks)).digest('hex')}`).toBe(largest.digest);
    expect(answered(upstreams.b.requests)).toEqual([`GET /v2/glci/multilayer/blobs/${largest.digest} 200`]);
  });

  it('keeps downloading for the cache when the only client disconnects', async () => {
    const { proxy, local } = proxyOver(upstreams);
    const repository = await proxy.repository('glci/multilayer');
    const manifest = await repository.manifests.get((await repository.tags.resolve('1')).digest);
    const largest = manifestBlobs(manifest.content).sort((x, y) => y.size - x.size)[0]!;
    const stream = await repository.blobs.open(parseDigest(largest.digest));
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.destroy();
    await waitFor('the download to finish', async () => proxy.stats().cache.downloadsInFlight === 0);
    const stored = await (await local.repository('glci/multilayer')).blobs.stat(parseDigest(largest.digest));
    expect(stored.size).toBe(largest.size);
    expect(answered(upstreams.b.requests).filter((line) => line.includes(largest.digest))).toHaveLength(1);
  });

  it('evicts by last access within the size bound, keeping blobs another cached image needs', async () => {
    const probe = proxyOver(upstreams).proxy;
    await pullThrough(probe, 'glci/multilayer', '1');
    await probe.settled();
    const multilayerBytes = probe.stats().cache.bytes;
    const maxBytes = multilayerBytes + 100;

    const { proxy, local, clock } = proxyOver(upstreams, { cache: { maxBytes } });
    const busybox = await pullThrough(proxy, 'glci/busybox', '1');
    // Cached blobs are indexed when their commit ends (on a filesystem store, just after the
    // client's last byte): settle so that busybox's entries carry the earlier time.
    await proxy.settled();
    clock.advance(1000);
    const multilayer = await pullThrough(proxy, 'glci/multilayer', '1');
    await proxy.evict();
    expect(proxy.stats().cache.bytes).toBeLessThanOrEqual(maxBytes);
    const shared = busybox.blobs.filter((blob) => multilayer.blobs.includes(blob));
    expect(shared.length).toBeGreaterThan(0);
    // The layer busybox shares with the cached multilayer image is still stored under glci/busybox.
    for (const blob of shared) {
      await expect(
        (await local.repository('glci/busybox')).blobs.stat(parseDigest(blob)),
      ).resolves.toBeDefined();
    }
    // busybox's own blobs were unlinked from its repository.
    const own = busybox.blobs.filter((blob) => !shared.includes(blob));
    expect(own.length).toBeGreaterThan(0);
    for (const blob of own) {
      await expect(
        (await local.repository('glci/busybox')).blobs.stat(parseDigest(blob)),
      ).rejects.toBeInstanceOf(BlobUnknownError);
    }
    // multilayer (read last) is untouched: pulling it again asks nothing upstream.
    upstreams.a.reset();
    upstreams.b.reset();
    await pullThrough(proxy, 'glci/multilayer', '1');
    expect(upstreams.b.requests).toEqual([]);
    // busybox (read least recently) lost its manifest: the next pull fetches it again, but never
    // the layer the multilayer image shares. (Its own config was unlinked; until the registry's GC
    // reclaims it, the global copy is linked back instead of downloaded.)
    await pullThrough(proxy, 'glci/busybox', '1');
    expect(upstreams.a.requests).toContain('GET /v2/glci/busybox/manifests/1 200');
    for (const blob of shared) expect(upstreams.a.requests.join('\n')).not.toContain(blob);
  });

  it('expires cached images nobody read for longer than the unused expiry', async () => {
    const { proxy, clock } = proxyOver(upstreams, { cache: { unusedExpiryMs: 2 * HOUR } });
    const busybox = await pullThrough(proxy, 'glci/busybox', '1');
    await proxy.settled(); // indexed at the earlier time (see the eviction test)
    clock.advance(HOUR);
    const multilayer = await pullThrough(proxy, 'glci/multilayer', '1');
    // Let background cache writes (and the eviction passes they schedule) finish first.
    expect(await proxy.evict()).toEqual([]);
    clock.advance(90 * 60_000);
    // busybox was last read 2.5 h ago, multilayer 1.5 h ago.
    const evicted = await proxy.evict();
    expect(evicted).toContain(busybox.digest);
    expect(evicted).not.toContain(multilayer.digest);
    for (const blob of multilayer.blobs) expect(evicted).not.toContain(blob);
    await proxy.close();
  });

  it('stores complete cached images as manifests, so the registry GC keeps them', async () => {
    const local = localNamespace() as RegistryNamespace;
    const { proxy } = proxyOver(upstreams, { local });
    const pulled = await pullThrough(proxy, 'glci/multilayer', 'multi');
    const repository = await local.repository('glci/multilayer');
    await waitFor('the list and its pulled children to be stored as manifests', async () =>
      repository.manifests.exists(parseDigest(pulled.digest)),
    );
    const report = await garbageCollect(local, { gracePeriodMs: 0 });
    expect(report.blobsDeleted).toBe(0);
    upstreams.a.reset();
    upstreams.b.reset();
    const again = await pullThrough(proxy, 'glci/multilayer', 'multi');
    expect(again.blobs).toEqual(pulled.blobs);
    expect(upstreams.a.requests).toEqual([]);
    expect(upstreams.b.requests).toEqual([]);
  });

  it('remembers its cache across a restart and serves it while the upstream is down', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'glci-proxy-restart-'));
    try {
      const open = () => {
        const driver = new FsDriver({ root, fsync: false });
        const local = createNamespace({ driver, logger: createLogger({ silent: true }) });
        return { driver, local };
      };
      const first = open();
      const before = proxyOver(upstreams, { local: first.local, cache: { stateDriver: first.driver } });
      const pulled = await pullThrough(before.proxy, 'glci/busybox', '1');
      await before.proxy.close();

      await upstreams.a.stop();
      try {
        const second = open();
        const clock = new TestClock();
        const after = proxyOver(upstreams, {
          clock,
          local: second.local,
          cache: { stateDriver: second.driver },
        });
        const again = await pullThrough(after.proxy, 'glci/busybox', '1');
        expect(again.digest).toBe(pulled.digest);
        expect(again.warnings).toEqual([]);
        clock.advance(25 * HOUR);
        const stale = await pullThrough(after.proxy, 'glci/busybox', '1');
        expect(stale.digest).toBe(pulled.digest);
        expect(stale.warnings).toHaveLength(1);
        await after.proxy.close();
      } finally {
        await upstreams.a.start();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

async function manifestSize(proxy: import('./index.js').ProxyNamespace, digest: string): Promise<number> {
  const repository = await proxy.repository('glci/multilayer');
  return (await repository.manifests.get(parseDigest(digest))).content.byteLength;
}
