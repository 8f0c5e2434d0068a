import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ensureTestImages,
  GLCI_FROM_SOURCE,
  type ManagedProcess,
  type RunningS3,
  run,
  startGlciRegistry,
  startS3,
  waitFor,
} from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './driver/s3/test-support/fault-proxy.js';

// Several `glci registry serve` processes sharing nothing but one bucket (on a real S3 server) and
// one secret: what runs behind a load balancer. The nodes reach S3 through a recording loopback
// proxy, so the test can see which node read what.
const MiB = 1024 * 1024;

let s3: RunningS3;
let proxy: FaultProxy;
let bucket: string;
let work: string;
let secretFile: string;
const processes: ManagedProcess[] = [];

beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.createBucket();
  proxy = await startFaultProxy(s3.endpoint);
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-multi-node-'));
  secretFile = path.join(work, 'secret');
  writeFileSync(secretFile, randomBytes(32).toString('hex'));
});

afterAll(async () => {
  for (const child of processes) await child.kill('SIGKILL');
  await proxy?.close();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Node {
  readonly url: string;
  readonly host: string;
  readonly process: ManagedProcess;
}

/** One `glci registry serve` node on the shared bucket; credentials come through the AWS environment. */
async function startNode(prefix: string, options: { localCache?: string } = {}): Promise<Node> {
  const cache = options.localCache
    ? `&local_cache_dir=${encodeURIComponent(options.localCache)}&local_cache_max_size=64MB`
    : '';
  const node = await startGlciRegistry(
    ['--storage', `${storageUrl(prefix)}${cache}`, '--secret-file', secretFile],
    glciEnv(),
    {
      timeoutMs: 60_000,
    },
  );
  processes.push(node.process);
  return node;
}

function storageUrl(prefix: string): string {
  return `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(proxy.endpoint)}&region=${s3.region}&path_style=true`;
}

/** The environment of a glci process: a throwaway HOME and the S3 credentials. */
function glciEnv(): NodeJS.ProcessEnv {
  const home = path.join(work, `home-${randomBytes(4).toString('hex')}`);
  mkdirSync(home, { recursive: true });
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    // As on the CI machines: the SDK must not care about a CA bundle for a plain-http endpoint.
    AWS_CA_BUNDLE: process.env.AWS_CA_BUNDLE ?? path.join(work, 'no-such-bundle.pem'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function patch(node: Node, location: string, offset: number, body: Uint8Array): Promise<string> {
  const response = await fetch(new URL(location, node.url), {
    method: 'PATCH',
    headers: {
      'content-type': 'application/octet-stream',
      'content-range': `${offset}-${offset + body.length - 1}`,
    },
    body,
  });
  expect(response.status, await response.clone().text()).toBe(202);
  expect(response.headers.get('range')).toBe(`0-${offset + body.length - 1}`);
  return response.headers.get('location')!;
}

async function finish(node: Node, location: string, digest: string): Promise<void> {
  const closing = new URL(location, node.url);
  closing.searchParams.set('digest', digest);
  const response = await fetch(closing, { method: 'PUT' });
  expect(response.status, await response.clone().text()).toBe(201);
}

async function pullDigest(node: Node, name: string, digest: string): Promise<string> {
  const response = await fetch(`${node.url}/v2/${name}/blobs/${digest}`);
  expect(response.status).toBe(200);
  return digestOf(Buffer.from(await response.arrayBuffer()));
}

// Each test starts one or two `glci registry serve` processes from source (tsx), and some run the
// CLI, skopeo or docker besides: 15-19 s on a loaded 2-core machine, near vitest's default 30 s.
describe('glci registry nodes sharing one S3 bucket', { timeout: 180_000 }, () => {
  it('pulls through node B, with docker, an image skopeo pushed through node A', async () => {
    const images = await ensureTestImages();
    const prefix = `image-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    const suffix = randomBytes(4).toString('hex');
    const repository = `multi/app-${suffix}`;
    await run(
      'skopeo',
      [
        'copy',
        '--dest-tls-verify=false',
        `docker-daemon:${images.multilayer}`,
        `docker://${a.host}/${repository}:1`,
      ],
      { timeoutMs: 180_000 },
    );
    const pulled = `${b.host}/${repository}:1`;
    try {
      await run('docker', ['pull', pulled], { timeoutMs: 180_000 });
      const [original, copy] = await Promise.all([
        run('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', images.multilayer]),
        run('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', pulled]),
      ]);
      expect(JSON.parse(copy)).toEqual(JSON.parse(original));
      expect((JSON.parse(copy) as string[]).length).toBeGreaterThanOrEqual(4);
    } finally {
      await run('docker', ['image', 'rm', pulled]).catch(() => undefined);
    }
    const tags = (await (await fetch(`${b.url}/v2/${repository}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['1']);
  });

  it('completes a chunked upload whose chunks alternate between the nodes', async () => {
    const prefix = `chunks-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    const blob = randomBytes(26 * MiB + 3);
    const start = await fetch(`${a.url}/v2/alternate/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    let location = start.headers.get('location')!;
    const chunk = 5 * MiB;
    let last: Node = a;
    for (let offset = 0, index = 0; offset < blob.length; offset += chunk, index += 1) {
      last = index % 2 === 0 ? b : a;
      location = await patch(last, location, offset, blob.subarray(offset, offset + chunk));
    }
    await finish(last === a ? b : a, location, digestOf(blob));
    expect(await pullDigest(a, 'alternate', digestOf(blob))).toBe(digestOf(blob));
    expect(await pullDigest(b, 'alternate', digestOf(blob))).toBe(digestOf(blob));
  });

  it('resumes on node B an upload whose node A was SIGKILLed mid-chunk, byte-identical', async () => {
    const prefix = `kill-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const b = await startNode(prefix);
    const blob = randomBytes(40 * MiB + 11);
    const start = await fetch(`${a.url}/v2/killed/blobs/uploads/`, { method: 'POST' });
    let location = start.headers.get('location')!;
    location = await patch(a, location, 0, blob.subarray(0, 16 * MiB));

    // The second chunk streams 12 MiB (more than one part) and then stalls: A is killed with a
    // part of it already in S3 beyond what the session's last close() recorded.
    const partsBefore = proxy.requests.filter((request) => request.operation === 'UploadPart').length;
    let stall: () => void = () => undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 16 * MiB; offset < 28 * MiB; offset += MiB) {
          controller.enqueue(blob.subarray(offset, offset + MiB));
        }
      },
      pull: () =>
        new Promise<void>((resolve) => {
          stall = resolve;
        }),
    });
    const inFlight = fetch(new URL(location, a.url), {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit).catch((error: unknown) => error);
    await waitFor('a part of the second chunk in S3', async () => {
      return proxy.requests.filter((request) => request.operation === 'UploadPart').length > partsBefore;
    });
    await a.process.kill('SIGKILL');
    stall();
    expect(await inFlight).toBeInstanceOf(Error);

    // B answers the session's progress: what A had made durable at its last close().
    const status = await fetch(new URL(location, b.url));
    expect(status.status).toBe(204);
    const durable = Number(/^0-(\d+)$/.exec(status.headers.get('range') ?? '')?.[1]) + 1;
    expect(durable).toBe(16 * MiB);
    location = status.headers.get('location') ?? location;
    for (let offset = durable; offset < blob.length; offset += 8 * MiB) {
      location = await patch(
        b,
        location,
        offset,
        blob.subarray(offset, Math.min(blob.length, offset + 8 * MiB)),
      );
    }
    await finish(b, location, digestOf(blob));
    const back = await fetch(`${b.url}/v2/killed/blobs/${digestOf(blob)}`);
    expect(Buffer.from(await back.arrayBuffer()).equals(blob)).toBe(true);
  });
  it('runs glci registry gc on the bucket while node A has a push in flight', async () => {
    const prefix = `gc-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix);
    const orphan = randomBytes(64 * 1024);
    const pushed = await fetch(`${a.url}/v2/gc/app/blobs/uploads/?digest=${digestOf(orphan)}`, {
      method: 'POST',
      body: orphan,
    });
    expect(pushed.status).toBe(201);
    // A layer upload in flight on A: one chunk in, not committed.
    const layer = randomBytes(9 * MiB);
    const start = await fetch(`${a.url}/v2/gc/app/blobs/uploads/`, { method: 'POST' });
    let location = await patch(a, start.headers.get('location')!, 0, layer.subarray(0, 6 * MiB));

    // No grace period: everything not referenced and not in flight goes.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        ...GLCI_FROM_SOURCE,
        'registry',
        'gc',
        '--storage',
        storageUrl(prefix),
        '--grace-period',
        '0s',
        '--json',
      ],
      { timeout: 120_000, env: glciEnv() },
    );
    const report = JSON.parse(stdout) as { blobsDeleted: number; uploadsPurged: number };
    expect(report).toMatchObject({ blobsDeleted: 1, uploadsPurged: 0 });
    expect((await fetch(`${a.url}/v2/gc/app/blobs/${digestOf(orphan)}`)).status).toBe(404);

    // The push carries on: the session survived and the layer commits whole.
    location = await patch(a, location, 6 * MiB, layer.subarray(6 * MiB));
    await finish(a, location, digestOf(layer));
    expect(await pullDigest(a, 'gc/app', digestOf(layer))).toBe(digestOf(layer));
  });

  it("keeps hot blobs on each node's own disk (local_cache_dir), and forgets them when gc deletes them", async () => {
    const prefix = `cache-${randomBytes(4).toString('hex')}`;
    const a = await startNode(prefix, { localCache: path.join(work, `${prefix}-a`) });
    const b = await startNode(prefix, { localCache: path.join(work, `${prefix}-b`) });
    const blob = randomBytes(3 * MiB);
    const pushed = await fetch(`${a.url}/v2/cached/app/blobs/uploads/?digest=${digestOf(blob)}`, {
      method: 'POST',
      body: blob,
    });
    expect(pushed.status).toBe(201);
    const metric = async (node: Node, line: string) => {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      return Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1]);
    };
    // The push fills A's cache; B's first read is a miss that fills B's.
    await waitFor(
      "the pushed blob in node A's cache",
      async () => (await metric(a, 'glci_registry_local_cache_fills_total{outcome="stored"}')) === 1,
    );
    expect(await pullDigest(b, 'cached/app', digestOf(blob))).toBe(digestOf(blob));
    await waitFor(
      "the blob in node B's cache",
      async () => (await metric(b, 'glci_registry_local_cache_fills_total{outcome="stored"}')) === 1,
    );
    expect(await pullDigest(b, 'cached/app', digestOf(blob))).toBe(digestOf(blob));
    expect(await pullDigest(a, 'cached/app', digestOf(blob))).toBe(digestOf(blob));
    expect(await metric(b, 'glci_registry_local_cache_reads_total{result="hit"}')).toBe(1);
    expect(await metric(a, 'glci_registry_local_cache_reads_total{result="hit"}')).toBe(1);
    expect(await metric(b, 'glci_registry_local_cache_read_bytes_total{source="cache"}')).toBe(blob.length);

    // Unreferenced: glci registry gc (another process) deletes it from the bucket.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        ...GLCI_FROM_SOURCE,
        'registry',
        'gc',
        '--storage',
        storageUrl(prefix),
        '--grace-period',
        '0s',
        '--json',
      ],
      { timeout: 120_000, env: glciEnv() },
    );
    expect(JSON.parse(stdout)).toMatchObject({ blobsDeleted: 1 });
    for (const node of [a, b]) {
      expect((await fetch(`${node.url}/v2/cached/app/blobs/${digestOf(blob)}`)).status).toBe(404);
    }
    expect(await metric(b, 'glci_registry_local_cache_reads_total{result="hit"}')).toBe(1);
  });
});
