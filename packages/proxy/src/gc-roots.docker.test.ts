import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@glci/config';
import { createNamespace, FsDriver, garbageCollect, parseDigest } from '@glci/registry';
import {
  type CountingProxy,
  type RunningDistribution,
  startCountingProxy,
  startDistribution,
} from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savedCacheRoots } from './cache-roots.js';
import { createProxyNamespace, type ProxyNamespace } from './create-proxy.js';
import { type PushedManifest, pushImage, pushIndex } from './test-support/artifacts.js';
import { pullThrough } from './test-support/pull.js';

const logger = createLogger({ silent: true });
let distribution: RunningDistribution;
let upstream: CountingProxy;
let amd64: PushedManifest;
let multi: PushedManifest;

beforeAll(async () => {
  distribution = await startDistribution();
  await pushImage(distribution.url, 'lib/app', '1');
  amd64 = await pushImage(distribution.url, 'lib/multi', 'amd64', { architecture: 'amd64' });
  const arm64 = await pushImage(distribution.url, 'lib/multi', 'arm64', { architecture: 'arm64' });
  multi = await pushIndex(distribution.url, 'lib/multi', '1', [
    { manifest: amd64, architecture: 'amd64' },
    { manifest: arm64, architecture: 'arm64' },
  ]);
  upstream = await startCountingProxy(distribution.url);
}, 120_000);

afterAll(async () => {
  await upstream?.stop();
  await distribution?.stop();
});

/** A proxy over the counting upstream on filesystem storage in `root`, saving its index there. */
function proxyOn(root: string): { proxy: ProxyNamespace; driver: FsDriver } {
  const driver = new FsDriver({ root, fsync: false });
  const proxy = createProxyNamespace({
    local: createNamespace({ driver, logger }),
    upstreams: [{ url: upstream.url }],
    logger,
    cache: { stateDriver: driver },
  });
  return { proxy, driver };
}

/** Pulls the index `lib/multi:1` and only its amd64 image: an incomplete cached index. */
async function pullAmd64Only(proxy: ProxyNamespace): Promise<number> {
  const repository = await proxy.repository('lib/multi');
  const index = await repository.manifests.get((await repository.tags.resolve('1')).digest);
  expect(index.descriptor.digest.toString()).toBe(multi.digest);
  const image = await repository.manifests.get(parseDigest(amd64.digest));
  const parsed = JSON.parse(Buffer.from(image.content).toString()) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  let bytes = 0;
  for (const digest of [parsed.config.digest, ...parsed.layers.map((layer) => layer.digest)]) {
    for await (const chunk of await repository.blobs.open(parseDigest(digest)))
      bytes += (chunk as Buffer).length;
  }
  return bytes;
}

describe('registry GC with the proxy cache index as roots', () => {
  it('keeps every cached image through gc --delete-untagged, so the cache serves them with the upstream stopped; unreferenced local content still goes', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'glci-proxy-gc-'));
    try {
      const first = proxyOn(root);
      const app = await pullThrough(first.proxy, 'lib/app', '1');
      await pullAmd64Only(first.proxy);
      // The control: content pushed here that nothing references.
      const scratch = await createNamespace({ driver: first.driver, logger }).repository('team/scratch');
      const orphan = await scratch.blobs.put('application/octet-stream', Buffer.from('orphan, pushed here'));
      await first.proxy.close();

      const namespace = createNamespace({ driver: first.driver, logger });
      // Without the roots the same run would take cached content: the test can tell.
      const unprotected = await garbageCollect(namespace, {
        deleteUntagged: true,
        gracePeriodMs: 0,
        dryRun: true,
      });
      expect(unprotected.manifestsDeleted.map((entry) => entry.digest)).toContain(app.digest);
      expect(unprotected.blobsDeleted).toBeGreaterThan(1);

      const report = await garbageCollect(namespace, {
        deleteUntagged: true,
        gracePeriodMs: 0,
        extraRoots: savedCacheRoots(first.driver),
      });
      expect(report.extraRoots).toBeGreaterThan(0);
      expect(report.manifestsDeleted).toEqual([]);
      expect(report.blobsDeleted).toBe(1);
      expect(await namespace.blobExists(orphan.digest)).toBe(false);

      await upstream.stop();
      try {
        upstream.reset();
        const second = proxyOn(root);
        const again = await pullThrough(second.proxy, 'lib/app', '1');
        expect(again.digest).toBe(app.digest);
        expect(again.blobs).toEqual(app.blobs);
        expect(again.warnings).toEqual([]);
        expect(await pullAmd64Only(second.proxy)).toBeGreaterThan(0);
        expect(upstream.requests).toEqual([]);
        await second.proxy.close();
      } finally {
        await upstream.start();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('stops GC before it changes anything when the saved index cannot be read', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'glci-proxy-gc-'));
    try {
      const driver = new FsDriver({ root, fsync: false });
      await driver.putContent('/proxy/cache-index.json', Buffer.from('{"version":1,"entries":'));
      const scratch = await createNamespace({ driver, logger }).repository('team/scratch');
      const orphan = await scratch.blobs.put('application/octet-stream', Buffer.from('orphan'));
      const namespace = createNamespace({ driver, logger });
      await expect(
        garbageCollect(namespace, { gracePeriodMs: 0, extraRoots: savedCacheRoots(driver) }),
      ).rejects.toThrow(/cache index .* is not valid JSON/);
      expect(await namespace.blobExists(orphan.digest)).toBe(true);
      // No index at all: no roots, and GC runs as usual.
      await driver.delete('/proxy');
      const report = await garbageCollect(namespace, {
        gracePeriodMs: 0,
        extraRoots: savedCacheRoots(driver),
      });
      expect(report.extraRoots).toBe(0);
      expect(await namespace.blobExists(orphan.digest)).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
