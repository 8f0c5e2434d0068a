import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createSilentLogger } from '@glci/config';
import { HttpUpstreamClient, systemClock, type UpstreamStats } from '@glci/proxy';
import {
  type RunningDistribution,
  type RunningGlciRegistry,
  startDistribution,
  startGlciRegistry,
} from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, createCliSandbox } from '../../test-support/run-glci.js';

const sha256 = (content: string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes a one-layer image with POST + PUT uploads (CNCF distribution 2.8.2 has no monolithic POST). */
async function pushImage(url: string, repository: string, tag: string) {
  const client = new HttpUpstreamClient({ url, logger: createSilentLogger(), clock: systemClock });
  const config = `{"architecture":"amd64","os":"linux","repository":"${repository}"}`;
  const layer = `the layer of ${repository}:${tag}`;
  for (const content of [config, layer]) {
    const bytes = Buffer.from(content);
    await client.pushBlob(repository, sha256(content), async () => Readable.from([bytes]), bytes.length);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256(config),
      size: Buffer.byteLength(config),
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: sha256(layer),
        size: Buffer.byteLength(layer),
      },
    ],
  });
  await client.pushManifest(repository, tag, Buffer.from(manifest), OCI_MANIFEST);
  return { manifest, config, layer };
}

/** What a client does: the manifest by tag, then each blob; every answer must be 200 with the bytes. */
async function pull(
  url: string,
  repository: string,
  tag: string,
  expected: Awaited<ReturnType<typeof pushImage>>,
) {
  const manifest = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: OCI_MANIFEST },
  });
  expect(manifest.status).toBe(200);
  expect(await manifest.text()).toBe(expected.manifest);
  for (const blob of [expected.config, expected.layer]) {
    const response = await fetch(`${url}/v2/${repository}/blobs/${sha256(blob)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(blob);
  }
}

describe('glci registry gc | stats on a pull-through cache storage', { timeout: 180_000 }, () => {
  let sandbox: CliSandbox;
  let storage: string;
  let upstream: RunningDistribution;
  let image: Awaited<ReturnType<typeof pushImage>>;
  const serve = (): Promise<RunningGlciRegistry> =>
    startGlciRegistry(['--storage', storage, '--upstream', upstream.url], {
      PATH: process.env.PATH ?? '',
      HOME: sandbox.home,
    });

  beforeAll(async () => {
    sandbox = createCliSandbox();
    storage = mkdtempSync(path.join(os.tmpdir(), 'glci-proxy-cache-'));
    upstream = await startDistribution();
    image = await pushImage(upstream.url, 'lib/app', '1');
  });
  afterAll(async () => {
    await upstream?.stop();
    rmSync(storage, { recursive: true, force: true });
    sandbox?.remove();
  });

  it('gc --delete-untagged keeps what the proxy cached, which is then served with the upstream stopped; unreferenced content still goes', async () => {
    const cache = await serve();
    try {
      await pull(cache.url, 'lib/app', '1', image);
      // The control: a blob pushed here that nothing references and the cache index does not know.
      const orphan = 'an orphan pushed to the cache registry';
      const pushed = await fetch(`${cache.url}/v2/team/scratch/blobs/uploads/?digest=${sha256(orphan)}`, {
        method: 'POST',
        body: orphan,
      });
      expect(pushed.status).toBe(201);
    } finally {
      await cache.process.kill('SIGTERM');
    }
    expect(cache.process.child.exitCode).toBe(0);

    const dry = await sandbox.run([
      'registry',
      'gc',
      '--storage',
      storage,
      '--dry-run',
      '--delete-untagged',
      '--grace-period',
      '0s',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/kept for the proxy cache +\d+ digest\(s\)/);

    const gc = await sandbox.run([
      'registry',
      'gc',
      '--storage',
      storage,
      '--delete-untagged',
      '--grace-period',
      '0s',
      '--json',
    ]);
    expect(gc.code).toBe(0);
    const report = JSON.parse(gc.stdout) as {
      manifestsDeleted: unknown[];
      blobsDeleted: number;
      blobsKept: number;
      extraRoots: number;
    };
    // The manifest (its bytes), its config and its layer; the orphan is the only blob collected.
    expect(report.extraRoots).toBeGreaterThanOrEqual(3);
    expect(report.manifestsDeleted).toEqual([]);
    expect(report.blobsDeleted).toBe(1);
    expect(report.blobsKept).toBe(3);

    await upstream.stop();
    const offline = await serve();
    try {
      await pull(offline.url, 'lib/app', '1', image);
    } finally {
      await offline.process.kill('SIGTERM');
    }
  });

  it('stats prints the per-upstream counters the proxy saved, accumulated over restarts', async () => {
    const own = await startDistribution();
    const root = mkdtempSync(path.join(os.tmpdir(), 'glci-proxy-stats-'));
    try {
      const pushed = await pushImage(own.url, 'lib/counted', '1');
      const total = [pushed.manifest, pushed.config, pushed.layer].reduce(
        (sum, content) => sum + Buffer.byteLength(content),
        0,
      );
      const serveOwn = () =>
        startGlciRegistry(['--storage', root, '--upstream', own.url], {
          PATH: process.env.PATH ?? '',
          HOME: sandbox.home,
        });
      const statsJson = async () => {
        const result = await sandbox.run(['registry', 'stats', '--storage', root, '--json']);
        expect(result.code).toBe(0);
        return JSON.parse(result.stdout) as {
          blobs: number;
          proxy?: {
            savedAt: string;
            cache: { bytes: number; entries: number };
            upstreams: UpstreamStats[];
          };
        };
      };

      const first = await serveOwn();
      try {
        await pull(first.url, 'lib/counted', '1', pushed);
      } finally {
        await first.process.kill('SIGTERM');
      }
      const afterFirst = await statsJson();
      expect(afterFirst.proxy?.cache).toEqual({ bytes: total, entries: 3 });
      expect(Date.parse(afterFirst.proxy?.savedAt ?? '')).toBeGreaterThan(Date.now() - 120_000);
      const [counted] = afterFirst.proxy?.upstreams ?? [];
      // The tag's manifest and both blobs came from the upstream; the manifest was then read once.
      expect(counted).toMatchObject({ url: own.url, misses: 3, bytesFetched: total, revalidations: 0 });
      expect(counted!.hits).toBeGreaterThanOrEqual(1);

      // A second run adds to the saved counters: only hits, nothing fetched again.
      const second = await serveOwn();
      try {
        await pull(second.url, 'lib/counted', '1', pushed);
        // The live counters, restored and then counted on, are in the server's /metrics too.
        const metrics = await (await fetch(`${second.url}/metrics`)).text();
        expect(metrics).toContain('glci_registry_http_requests_total');
        expect(metrics).toContain(`glci_proxy_misses_total{upstream="${own.url}"} 3`);
        expect(metrics).toMatch(/^glci_proxy_cache_bytes \d+$/m);
      } finally {
        await second.process.kill('SIGTERM');
      }
      const afterSecond = await statsJson();
      const [again] = afterSecond.proxy?.upstreams ?? [];
      expect(again).toMatchObject({ url: own.url, misses: 3, bytesFetched: total });
      expect(again!.hits).toBeGreaterThanOrEqual(counted!.hits + 4);
      expect(again!.bytesFromCache).toBeGreaterThanOrEqual(counted!.bytesFromCache + total);

      const text = await sandbox.run(['registry', 'stats', '--storage', root]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /pull-through cache: 3 cached manifests and blobs \(\d+ ?B\), counters as saved /,
      );
      expect(text.stdout).toMatch(
        /^UPSTREAM +HITS +MISSES +REVALIDATIONS +STALE SERVED +FROM CACHE +FETCHED +RATELIMIT-REMAINING$/m,
      );
      expect(text.stdout).toMatch(
        new RegExp(
          `^${own.url.replace(/\./g, '\\.')} +${again!.hits} +3 +0 +0 +\\d+ ?B +${total} ?B +-$`,
          'm',
        ),
      );
    } finally {
      await own.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('stats on a storage no proxy ever used prints no proxy section', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'glci-proxy-none-'));
    try {
      const json = await sandbox.run(['registry', 'stats', '--storage', empty, '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).not.toHaveProperty('proxy');
      const text = await sandbox.run(['registry', 'stats', '--storage', empty]);
      expect(text.stdout).not.toContain('pull-through cache');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
