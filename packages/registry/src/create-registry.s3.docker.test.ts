import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { createSilentLogger } from '@glci/config';
import { type RunningS3, startS3 } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type RunningRegistry } from './create-registry.js';
import { type FaultProxy, startFaultProxy } from './driver/s3/test-support/fault-proxy.js';
import { S3Driver } from './driver/s3-driver.js';
import { garbageCollect } from './store/gc.js';
import { wasmHashing } from './store/hasher.js';
import { createNamespace, type RegistryNamespace } from './store/namespace.js';

// The registry's HTTP API over the S3 driver, as several nodes sharing one bucket would run it:
// two registries in this process on one bucket and prefix with one secret, each with its own
// driver, talking to the real S3 server through a recording loopback proxy.
const logger = createSilentLogger();
const MiB = 1024 * 1024;
const SECRET = 'glci-s3-test-secret-shared-by-both-nodes';

let s3: RunningS3;
let proxy: FaultProxy;
let bucket: string;

interface Node {
  readonly url: string;
  readonly namespace: RegistryNamespace;
  readonly driver: S3Driver;
  readonly running: RunningRegistry;
}

const nodes: Node[] = [];

async function startNode(prefix: string, options: { redirect?: boolean; clock?: () => Date } = {}) {
  const driver = new S3Driver({
    bucket,
    endpoint: proxy.endpoint,
    region: s3.region,
    forcePathStyle: true,
    prefix,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    partSize: 5 * MiB,
    redirect: options.redirect ?? false,
  });
  const namespace = createNamespace({
    driver,
    logger,
    hashing: wasmHashing,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const registry = createRegistry({ namespace, logger, secret: SECRET, redirect: options.redirect ?? false });
  const running = await registry.listen({ port: 0 });
  const node = { url: running.url, namespace, driver, running };
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.createBucket();
  proxy = await startFaultProxy(s3.endpoint);
});

afterAll(async () => {
  for (const node of nodes) {
    await node.running.close();
    await node.driver.close();
  }
  await proxy?.close();
  await s3?.stop();
});

function digestOf(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function monolithicPush(node: Node, name: string, content: Uint8Array | string): Promise<string> {
  const digest = digestOf(content);
  const response = await fetch(`${node.url}/v2/${name}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: typeof content === 'string' ? content : Buffer.from(content),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return digest;
}

async function pushImage(node: Node, name: string, tag: string, layer: Uint8Array): Promise<string> {
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const configDigest = await monolithicPush(node, name, config);
  const layerDigest = await monolithicPush(node, name, layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: Buffer.byteLength(config),
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
  expect(response.status, await response.clone().text()).toBe(201);
  return digestOf(manifest);
}

describe('the registry over S3, two nodes on one bucket', () => {
  it('serves through node B what was pushed through node A, with ranges', async () => {
    const prefix = `nodes-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    const layer = randomBytes(3 * MiB + 17);
    const manifestDigest = await pushImage(a, 'team/app', 'v1', layer);

    const manifest = await fetch(`${b.url}/v2/team/app/manifests/v1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(manifestDigest);
    const layerDigest = (JSON.parse(await manifest.text()) as { layers: Array<{ digest: string }> })
      .layers[0]!.digest;

    const whole = await fetch(`${b.url}/v2/team/app/blobs/${layerDigest}`);
    expect(whole.status).toBe(200);
    expect(digestOf(Buffer.from(await whole.arrayBuffer()))).toBe(layerDigest);

    const range = await fetch(`${b.url}/v2/team/app/blobs/${layerDigest}`, {
      headers: { range: 'bytes=1000-1999' },
    });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(layer.subarray(1000, 2000))).toBe(true);

    const beyond = await fetch(`${b.url}/v2/team/app/blobs/${layerDigest}`, {
      headers: { range: `bytes=${layer.length + 10}-` },
    });
    expect(beyond.status).toBe(416);
    await beyond.arrayBuffer();
  });

  it('completes a chunked upload whose chunks alternate between the nodes, without re-reading it', async () => {
    const prefix = `chunks-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    const blob = randomBytes(23 * MiB + 5);
    const digest = digestOf(blob);
    const start = await fetch(`${a.url}/v2/alternating/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    let location = start.headers.get('location')!;
    const chunk = 3 * MiB;
    let index = 0;
    for (let offset = 0; offset < blob.length; offset += chunk, index += 1) {
      const node = index % 2 === 0 ? b : a;
      const piece = blob.subarray(offset, offset + chunk);
      const patch = await fetch(new URL(location, node.url), {
        method: 'PATCH',
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + piece.length - 1}`,
        },
        body: piece,
      });
      expect(patch.status, await patch.clone().text()).toBe(202);
      expect(patch.headers.get('range')).toBe(`0-${offset + piece.length - 1}`);
      location = patch.headers.get('location')!;
    }
    const dataReadsBefore = proxy.requests.filter(
      (request) =>
        request.operation === 'GetObject' &&
        request.url.includes('/_uploads/') &&
        request.url.endsWith('/data'),
    ).length;
    const closing = new URL(location, index % 2 === 0 ? b.url : a.url);
    closing.searchParams.set('digest', digest);
    const put = await fetch(closing, { method: 'PUT' });
    expect(put.status, await put.clone().text()).toBe(201);
    // The digest came from the hash state saved with the session: the upload was not read back.
    const dataReads = proxy.requests.filter(
      (request) =>
        request.operation === 'GetObject' &&
        request.url.includes('/_uploads/') &&
        request.url.endsWith('/data'),
    ).length;
    expect(dataReads).toBe(dataReadsBefore);

    for (const node of [a, b]) {
      const back = await fetch(`${node.url}/v2/alternating/blobs/${digest}`);
      expect(back.status).toBe(200);
      expect(digestOf(Buffer.from(await back.arrayBuffer()))).toBe(digest);
    }
  });

  it('pages tags and the catalog in lexical order, names that extend others included', async () => {
    const prefix = `pages-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    const layer = randomBytes(1024);
    const tags = ['v1', 'v1-rc', 'v1.0', 'v1.0.1', 'v10', 'latest'];
    for (const tag of tags) await pushImage(a, 'lib/app', tag, layer);
    const repositories = ['lib/app', 'lib/app-x', 'lib/app.y', 'lib/app/sub', 'lib/apps'];
    for (const name of repositories.slice(1)) await pushImage(a, name, 'v1', layer);

    const collect = async (first: string, key: 'tags' | 'repositories') => {
      const seen: string[] = [];
      let next: string | undefined = first;
      while (next) {
        const response: Response = await fetch(new URL(next, b.url));
        expect(response.status).toBe(200);
        const body = (await response.json()) as Record<string, string[]>;
        expect(body[key]!.length).toBeLessThanOrEqual(2);
        seen.push(...body[key]!);
        next = /<([^>]+)>/.exec(response.headers.get('link') ?? '')?.[1];
      }
      return seen;
    };
    expect(await collect('/v2/lib/app/tags/list?n=2', 'tags')).toEqual([...tags].sort());
    expect(await collect('/v2/_catalog?n=2', 'repositories')).toEqual([...repositories].sort());
  });

  it('redirects blob GETs to a presigned URL that honours Range, when enabled', async () => {
    const prefix = `redirect-${randomBytes(4).toString('hex')}`;
    const plain = await startNode(prefix);
    const redirecting = await startNode(prefix, { redirect: true });
    const blob = randomBytes(2 * MiB);
    const digest = await monolithicPush(plain, 'redirected', blob);

    const streamed = await fetch(`${plain.url}/v2/redirected/blobs/${digest}`, { redirect: 'manual' });
    expect(streamed.status).toBe(200);
    await streamed.arrayBuffer();

    const answer = await fetch(`${redirecting.url}/v2/redirected/blobs/${digest}`, { redirect: 'manual' });
    expect(answer.status).toBe(307);
    const location = answer.headers.get('location')!;
    expect(location.startsWith(proxy.endpoint)).toBe(true);
    expect(location).toContain('X-Amz-Signature=');
    const ranged = await fetch(location, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(blob.subarray(100, 200))).toBe(true);
    const whole = await fetch(location);
    expect(digestOf(Buffer.from(await whole.arrayBuffer()))).toBe(digest);
    // A blob the repository does not link is unknown, not redirected.
    const unknown = await fetch(`${redirecting.url}/v2/other/blobs/${digest}`, { redirect: 'manual' });
    expect(unknown.status).toBe(404);
  });

  it('lets one node at a time write an upload session: a PATCH through B while A streams is refused, nothing is disturbed', async () => {
    const prefix = `lease-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    const x = randomBytes(6 * MiB);
    const start = await fetch(`${a.url}/v2/lease/app/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location')!;
    // A PATCH on A: headers and the first MiB, then it stalls.
    const url = new URL(a.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`PATCH ${location} HTTP/1.1\r\nHost: a\r\nContent-Length: ${x.length}\r\n\r\n`);
    socket.write(x.subarray(0, MiB));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Node B shares the bucket, not A's memory: its lease file in the bucket keeps it out.
    const patchB = await fetch(new URL(location, b.url), {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
      body: randomBytes(MiB),
    });
    expect(patchB.status).toBe(416);
    const closing = new URL(location, b.url);
    closing.searchParams.set('digest', digestOf(x));
    expect((await fetch(closing, { method: 'PUT' })).status).toBe(416);
    const answer = new Promise<string>((resolve) =>
      socket.once('data', (chunk) => resolve(chunk.toString())),
    );
    socket.write(x.subarray(MiB));
    expect(await answer).toMatch(/^HTTP\/1\.1 202/);
    socket.destroy();
    // Committed through B, read through A: exactly X.
    expect((await fetch(closing, { method: 'PUT' })).status).toBe(201);
    const pulled = Buffer.from(
      await (await fetch(`${a.url}/v2/lease/app/blobs/${digestOf(x)}`)).arrayBuffer(),
    );
    expect(pulled.equals(x)).toBe(true);
  });

  it('garbage-collects on S3 while another node has a push in flight', async () => {
    const prefix = `gc-${randomBytes(4).toString('hex')}`;
    const pusher = await startNode(prefix);
    // The collector's clock runs two hours ahead, so everything already stored is past the grace
    // period and only the in-flight push is young.
    const collector = await startNode(prefix, { clock: () => new Date(Date.now() + 2 * 60 * 60 * 1000) });
    const orphan = await monolithicPush(pusher, 'gc/app', randomBytes(4096));
    const kept = await pushImage(pusher, 'gc/app', 'v1', randomBytes(4096));

    // An upload in flight on the pusher: two chunks in, not committed.
    const layer = randomBytes(7 * MiB);
    const start = await fetch(`${pusher.url}/v2/gc/app/blobs/uploads/`, { method: 'POST' });
    let location = start.headers.get('location')!;
    const first = await fetch(new URL(location, pusher.url), {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${4 * MiB - 1}` },
      body: layer.subarray(0, 4 * MiB),
    });
    expect(first.status).toBe(202);
    location = first.headers.get('location')!;

    const report = await garbageCollect(collector.namespace, { logger });
    expect(report.blobsDeleted).toBe(1);
    expect(report.uploadsPurged).toBe(0);
    const gone = await fetch(`${pusher.url}/v2/gc/app/blobs/${orphan}`);
    expect(gone.status).toBe(404);

    // The push carries on and completes; the tagged image survived.
    const rest = await fetch(new URL(location, pusher.url), {
      method: 'PATCH',
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${4 * MiB}-${layer.length - 1}`,
      },
      body: layer.subarray(4 * MiB),
    });
    expect(rest.status).toBe(202);
    const closing = new URL(rest.headers.get('location')!, pusher.url);
    closing.searchParams.set('digest', digestOf(layer));
    expect((await fetch(closing, { method: 'PUT' })).status).toBe(201);
    const pulled = await fetch(`${collector.url}/v2/gc/app/blobs/${digestOf(layer)}`);
    expect(digestOf(Buffer.from(await pulled.arrayBuffer()))).toBe(digestOf(layer));
    const image = await fetch(`${collector.url}/v2/gc/app/manifests/v1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(image.headers.get('docker-content-digest')).toBe(kept);
  });
});
