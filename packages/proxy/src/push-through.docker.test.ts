import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@glci/config';
import {
  createRegistry,
  type Namespace,
  parseDigest,
  type RunningRegistry,
  UpstreamError,
} from '@glci/registry';
import {
  type CountingProxy,
  ensureTestImages,
  type RunningDistribution,
  run,
  startCountingProxy,
  startDistribution,
} from '@glci/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { HttpUpstreamClient } from './http-upstream-client.js';
import { createPushThrough, type PushThrough } from './push-through.js';
import { localNamespace } from './test-support/harness.js';
import { preloadImage, pushManifestList, skopeoDigest } from './test-support/upstreams.js';

const logger = createLogger({ silent: true });
let upstream: RunningDistribution;
let other: RunningDistribution;
let counted: CountingProxy;
let otherCounted: CountingProxy;
let local: Namespace;
let pushThrough: PushThrough;
let registry: RunningRegistry;
let temp: string;

beforeAll(async () => {
  await ensureTestImages();
  upstream = await startDistribution();
  other = await startDistribution();
  counted = await startCountingProxy(upstream.url);
  otherCounted = await startCountingProxy(other.url);
  local = localNamespace();
  pushThrough = createPushThrough({ upstream: { url: counted.url }, logger });
  registry = await createRegistry({ namespace: pushThrough.wrap(local), logger }).listen({ port: 0 });
  temp = await mkdtemp(path.join(os.tmpdir(), 'glci-push-through-'));
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await counted?.stop();
  await otherCounted?.stop();
  await upstream?.stop();
  await other?.stop();
  if (temp) await rm(temp, { recursive: true, force: true });
});

beforeEach(() => {
  pushThrough.update({ url: counted.url });
  counted.failWith(undefined);
  counted.reset();
  otherCounted.reset();
});

const registryHost = () => new URL(registry.url).host;
const client = (url: string) => new HttpUpstreamClient({ url, logger, clock: systemClock });
const unique = (prefix: string) => `glci/${prefix}-${randomBytes(4).toString('hex')}`;

describe('push-through mirror', () => {
  it('mirrors a skopeo push byte-identical, blobs before the manifest', async () => {
    const name = unique('pushed');
    await preloadImage(registryHost(), 'glci-test/multilayer:1', `${name}:1`);
    const here = await skopeoDigest(`${registryHost()}/${name}:1`);
    const there = await skopeoDigest(`${upstream.host}/${name}:1`);
    expect(there).toBe(here);
    const manifestPut = counted.requests.indexOf(`PUT /v2/${name}/manifests/1 201`);
    const lastUpload = counted.requests.findLastIndex((line) =>
      line.startsWith(`PUT /v2/${name}/blobs/uploads/`),
    );
    expect(manifestPut).toBeGreaterThan(lastUpload);
    expect(lastUpload).toBeGreaterThan(-1);
    // A second push of the same image probes every blob and uploads none.
    counted.reset();
    await preloadImage(registryHost(), 'glci-test/multilayer:1', `${name}:again`);
    expect(counted.requests.filter((line) => line.includes('/blobs/uploads/'))).toEqual([]);
    expect(
      counted.requests.filter((line) => line.startsWith('HEAD ') && line.endsWith(' 200')).length,
    ).toBeGreaterThan(0);
    expect(await skopeoDigest(`${upstream.host}/${name}:again`)).toBe(here);
  });

  it('mirrors a docker push byte-identical', async () => {
    const name = unique('docker');
    const tag = `${registryHost()}/${name}:1`;
    await run('docker', ['tag', 'glci-test/multilayer:1', tag]);
    try {
      await run('docker', ['push', tag], { timeoutMs: 180_000 });
    } finally {
      await run('docker', ['rmi', tag]).catch(() => {});
    }
    expect(await skopeoDigest(`${upstream.host}/${name}:1`)).toBe(await skopeoDigest(tag));
  });

  it('mirrors an index bottom-up: children and their blobs before the index', async () => {
    const name = unique('multi');
    pushThrough.update({ url: counted.url, enabled: false });
    await preloadImage(registryHost(), 'glci-test/multilayer:1', `${name}:amd64`);
    await preloadImage(registryHost(), 'glci-test/busybox:1', `${name}:arm64`);
    const listDigest = await pushManifestList(registry.url, name, 'staged', [
      { tag: 'amd64', architecture: 'amd64' },
      { tag: 'arm64', architecture: 'arm64' },
    ]);
    expect(counted.requests).toEqual([]);

    pushThrough.update({ url: counted.url });
    const list = (await client(registry.url).getManifest(name, listDigest))!;
    await client(registry.url).pushManifest(name, 'multi', list.content, list.descriptor.mediaType);
    const lines = counted.requests;
    const listPut = lines.indexOf(`PUT /v2/${name}/manifests/${listDigest} 201`);
    const tagPut = lines.indexOf(`PUT /v2/${name}/manifests/multi 201`);
    const children = JSON.parse(Buffer.from(list.content).toString()).manifests as { digest: string }[];
    for (const child of children) {
      const childPut = lines.indexOf(`PUT /v2/${name}/manifests/${child.digest} 201`);
      expect(childPut).toBeGreaterThan(-1);
      expect(childPut).toBeLessThan(listPut);
    }
    expect(lines.findLastIndex((line) => line.includes('/blobs/'))).toBeLessThan(listPut);
    expect(tagPut).toBeGreaterThan(listPut);
    expect(await skopeoDigest(`${upstream.host}/${name}:multi`)).toBe(listDigest);
    for (const child of children) {
      const mirrored = await client(upstream.url).getManifest(name, child.digest);
      expect(String(mirrored!.descriptor.digest)).toBe(child.digest);
    }
  });

  it('answers a 5xx naming the failed step when the upstream fails, and keeps the local copy', async () => {
    const name = unique('failing');
    await preloadImage(registryHost(), 'glci-test/busybox:1', `${name}:1`);
    const manifest = (await client(registry.url).getManifest(name, '1'))!;
    counted.failWith({ status: 503 });
    const response = await fetch(`${registry.url}/v2/${name}/manifests/broken`, {
      method: 'PUT',
      headers: { 'content-type': manifest.descriptor.mediaType },
      body: manifest.content,
    });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.message).toMatch(
      new RegExp(`push-through to ${counted.url} failed while checking blob sha256:`),
    );
    // The content stays stored here; the tag was not moved, as the client saw the push fail.
    const stored = await client(registry.url).headManifest(name, String(manifest.descriptor.digest));
    expect(String(stored!.digest)).toBe(String(manifest.descriptor.digest));
    expect(await client(registry.url).headManifest(name, 'broken')).toBeUndefined();

    // Through the store API directly: the error is the registry's typed UpstreamError.
    const repository = await pushThrough.wrap(local).repository(name);
    const error = await repository.tags.tag('typed', manifest.descriptor).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toContain('tagging typed');
  });

  it('finishes a push in flight against the old upstream when the settings are swapped mid-push', async () => {
    const name = unique('swap');
    pushThrough.update({ url: counted.url, enabled: false });
    await preloadImage(registryHost(), 'glci-test/busybox:1', `${name}:staged`);
    pushThrough.update({ url: counted.url });
    const manifest = (await client(registry.url).getManifest(name, 'staged'))!;
    const held = counted.hold(new RegExp(`^PUT /v2/${name}/blobs/uploads/`));
    const push = client(registry.url).pushManifest(
      name,
      '1',
      manifest.content,
      manifest.descriptor.mediaType,
    );
    await held.arrived;
    pushThrough.update({ url: otherCounted.url });
    held.release();
    await push;
    expect(await skopeoDigest(`${upstream.host}/${name}:1`)).toBe(String(manifest.descriptor.digest));
    expect(otherCounted.requests).toEqual([]);
    // The next push goes to the new upstream.
    await client(registry.url).pushManifest(name, '2', manifest.content, manifest.descriptor.mediaType);
    expect(await skopeoDigest(`${other.host}/${name}:2`)).toBe(String(manifest.descriptor.digest));
  });

  it('applies push-through.json when it changes, with $VAR references, and falls back when it goes', async () => {
    const file = path.join(temp, 'push-through.json');
    const watched = createPushThrough({
      upstream: { url: counted.url },
      logger,
      env: { GLCI_TEST_PT_URL: otherCounted.url },
    });
    using watcher = watched.watchFile(file);
    await watcher.poll();
    expect(watched.current()).toEqual({ enabled: true, url: counted.url });
    await writeFile(file, JSON.stringify({ url: '$GLCI_TEST_PT_URL' }));
    await watcher.poll();
    expect(watched.current()).toEqual({ enabled: true, url: otherCounted.url });
    await writeFile(file, JSON.stringify({ url: otherCounted.url, enabled: false }));
    await watcher.poll();
    expect(watched.current()).toEqual({ enabled: false });
    await writeFile(file, '{ not json');
    await watcher.poll();
    expect(watched.current()).toEqual({ enabled: false });
    await rm(file);
    await watcher.poll();
    expect(watched.current()).toEqual({ enabled: true, url: counted.url });
  });

  it('reads pushed content back locally without contacting the upstream', async () => {
    const name = unique('local');
    await preloadImage(registryHost(), 'glci-test/busybox:1', `${name}:1`);
    counted.reset();
    const repository = await pushThrough.wrap(local).repository(name);
    const descriptor = await repository.tags.resolve('1');
    await repository.manifests.get(parseDigest(String(descriptor.digest)));
    expect(counted.requests).toEqual([]);
  });
});
