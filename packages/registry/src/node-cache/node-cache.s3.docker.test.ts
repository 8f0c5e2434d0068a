import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { type RunningS3, startS3 } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type RunningRegistry } from '../create-registry.js';
import { parseDigest } from '../digest.js';
import { type FaultProxy, startFaultProxy } from '../driver/s3/test-support/fault-proxy.js';
import { S3Driver } from '../driver/s3-driver.js';
import { BlobUnknownError } from '../errors.js';
import { garbageCollect } from '../store/gc.js';
import { wasmHashing } from '../store/hasher.js';
import { createNamespace, type RegistryNamespace } from '../store/namespace.js';
import { LocalBlobCache } from './local-blob-cache.js';
import { formatLocalCacheMetrics } from './local-cache-metrics.js';
import { NodeCachedContentStore } from './node-cached-content-store.js';

// Two registry nodes on one bucket of a real S3 server (versitygw), each with its own node-local
// blob cache, as a fleet of mirrors behind a load balancer runs them. The nodes reach S3 through a
// recording proxy, so the tests see which reads went to the bucket.
const logger = createSilentLogger();
const MiB = 1024 * 1024;
const SECRET = 'glci-node-cache-test-secret-of-both-nodes';

let s3: RunningS3;
let proxy: FaultProxy;
let bucket: string;
let work: string;

interface Node {
  readonly url: string;
  readonly namespace: RegistryNamespace;
  readonly cache: LocalBlobCache;
  readonly close: () => Promise<void>;
  metrics(): Promise<string>;
}

const nodes: Node[] = [];

async function startNode(name: string, prefix: string): Promise<Node> {
  const driver = new S3Driver({
    bucket,
    endpoint: proxy.endpoint,
    region: s3.region,
    forcePathStyle: true,
    prefix,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    partSize: 5 * MiB,
  });
  const cache = await LocalBlobCache.create({
    directory: path.join(work, `${prefix}-${name}`),
    maxBytes: 256 * MiB,
    logger,
  });
  const namespace = createNamespace({
    driver,
    logger,
    hashing: wasmHashing,
    decorateContent: (store) => new NodeCachedContentStore(store, cache),
  });
  const registry = createRegistry({ namespace, logger, secret: SECRET });
  registry.metrics?.addTextSource(() => formatLocalCacheMetrics(cache.stats()));
  const running: RunningRegistry = await registry.listen({ port: 0 });
  const node: Node = {
    url: running.url,
    namespace,
    cache,
    async metrics() {
      return await (await fetch(`${running.url}/metrics`)).text();
    },
    async close() {
      await running.close();
      await cache.close();
      await driver.close();
    },
  };
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.createBucket();
  proxy = await startFaultProxy(s3.endpoint);
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-node-cache-s3-'));
});

afterAll(async () => {
  for (const node of nodes) await node.close();
  await proxy?.close();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function digestOf(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function push(node: Node, name: string, content: Uint8Array | string): Promise<string> {
  const digest = digestOf(content);
  const response = await fetch(`${node.url}/v2/${name}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: typeof content === 'string' ? content : Buffer.from(content),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return digest;
}

/** Pushes a one-layer image tagged `tag`; returns the layer and manifest digests. */
async function pushImage(node: Node, name: string, layer: Uint8Array, tag: string) {
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const configDigest = await push(node, name, config);
  const layerDigest = await push(node, name, layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: config.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length },
    ],
  });
  const response = await fetch(`${node.url}/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  expect(response.status).toBe(201);
  return { layerDigest, manifestDigest: digestOf(manifest) };
}

async function pull(node: Node, name: string, digest: string): Promise<{ status: number; digest?: string }> {
  const response = await fetch(`${node.url}/v2/${name}/blobs/${digest}`);
  if (response.status !== 200) {
    await response.arrayBuffer();
    return { status: response.status };
  }
  return { status: 200, digest: digestOf(Buffer.from(await response.arrayBuffer())) };
}

/** GETs of a blob's data object that reached the bucket. */
function bucketReadsOf(digest: string): number {
  const hex = digest.slice('sha256:'.length);
  return proxy.requests.filter((request) => request.method === 'GET' && request.url.includes(`${hex}/data`))
    .length;
}

describe('node-local blob caches of two nodes on one bucket', () => {
  it('serves a hot blob from the node that read it, without reading the bucket again', async () => {
    const prefix = `hot-${randomBytes(4).toString('hex')}`;
    const [a, b] = [await startNode('a', prefix), await startNode('b', prefix)];
    const layer = randomBytes(12 * MiB);
    const { layerDigest } = await pushImage(a, 'team/app', layer, 'v1');
    await a.cache.settled();
    // Node B never saw it: the first read is a miss served from the bucket, then B keeps a copy.
    expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 200, digest: layerDigest });
    await b.cache.settled();
    const readsBefore = bucketReadsOf(layerDigest);
    for (let i = 0; i < 3; i++) {
      expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 200, digest: layerDigest });
    }
    expect(bucketReadsOf(layerDigest)).toBe(readsBefore);
    expect(b.cache.stats()).toMatchObject({ hits: 3, bytesFromCache: 3 * layer.length });
    expect(await b.metrics()).toContain('glci_registry_local_cache_reads_total{result="hit"} 3');
    expect(await b.metrics()).toContain(
      `glci_registry_local_cache_read_bytes_total{source="store"} ${layer.length}`,
    );
  });

  it('never serves from node B a blob that GC through node A deleted', async () => {
    const prefix = `gc-${randomBytes(4).toString('hex')}`;
    const [a, b] = [await startNode('a', prefix), await startNode('b', prefix)];
    const layer = randomBytes(6 * MiB);
    const { layerDigest, manifestDigest } = await pushImage(a, 'team/app', layer, 'v1');
    expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 200, digest: layerDigest });
    await b.cache.settled();
    expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 200, digest: layerDigest });
    expect(b.cache.stats().hits).toBe(1);

    const deleted = await fetch(`${a.url}/v2/team/app/manifests/${manifestDigest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    const report = await garbageCollect(a.namespace, { gracePeriodMs: 0 });
    expect(report.blobsDeleted).toBeGreaterThanOrEqual(2);

    const hitsBefore = b.cache.stats().hits;
    expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 404 });
    // Nor through the content store itself, which a mount or a GC of B's own would use.
    await expect(b.namespace.blobs.open(parseDigest(layerDigest))).rejects.toBeInstanceOf(BlobUnknownError);
    expect(b.cache.stats().hits).toBe(hitsBefore);
    // The copy B held went with it.
    expect(b.cache.stats().entries).toBe(0);
  });

  it('detects a corrupt copy on node B, serves the bucket bytes instead and refetches it', async () => {
    const prefix = `corrupt-${randomBytes(4).toString('hex')}`;
    const [a, b] = [await startNode('a', prefix), await startNode('b', prefix)];
    const layer = randomBytes(8 * MiB);
    const { layerDigest } = await pushImage(a, 'team/app', layer, 'v1');
    expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 200, digest: layerDigest });
    await b.cache.settled();
    const file = path.join(b.cache.directory, 'blobs', 'sha256', layerDigest.slice('sha256:'.length));
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('not the blob'), 0, 12, 4 * MiB);
    await handle.close();

    const readsBefore = bucketReadsOf(layerDigest);
    expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 200, digest: layerDigest });
    expect(b.cache.stats()).toMatchObject({ verifyFailures: 1, hits: 0 });
    await b.cache.settled();
    // The relay, then the refill: two reads of the bucket.
    expect(bucketReadsOf(layerDigest)).toBe(readsBefore + 2);
    expect(await pull(b, 'team/app', layerDigest)).toEqual({ status: 200, digest: layerDigest });
    expect(b.cache.stats()).toMatchObject({ hits: 1, fills: 2 });
    expect(await b.metrics()).toContain('glci_registry_local_cache_verify_failures_total 1');
  });
});
