import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@glci/config';
import { createRegistry, type RunningRegistry } from '@glci/registry';
import {
  type CountingProxy,
  ensureTestImages,
  type RunningDistribution,
  run,
  startCountingProxy,
  startDistribution,
} from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxyNamespace } from './create-proxy.js';
import { localNamespace } from './test-support/harness.js';
import { preloadImage, pushManifestList, skopeoDigest } from './test-support/upstreams.js';

/** The port dockerd on this machine uses as its registry mirror (reserved for these tests). */
const MIRROR_PORT = 39749;
const logger = createLogger({ silent: true });
const suffix = randomBytes(4).toString('hex');
/** A Docker-Hub-style single name: the daemon asks its mirror for `library/<name>`. */
const hubName = `glci-proxy-${suffix}`;

let upstream: RunningDistribution;
let counted: CountingProxy;
let mirror: RunningRegistry;
let temp: string;
let listDigest: string;

beforeAll(async () => {
  await ensureTestImages();
  upstream = await startDistribution();
  await preloadImage(upstream.host, 'glci-test/multilayer:1', `library/${hubName}:1`);
  await preloadImage(upstream.host, 'glci-test/multilayer:1', 'glci/multilayer:1');
  await preloadImage(upstream.host, 'glci-test/busybox:1', 'glci/multilayer:busybox');
  listDigest = await pushManifestList(upstream.url, 'glci/multilayer', 'multi', [
    { tag: '1', architecture: 'amd64' },
    { tag: 'busybox', architecture: 'arm64' },
  ]);
  counted = await startCountingProxy(upstream.url);
  const proxy = createProxyNamespace({ local: localNamespace(), upstreams: [{ url: counted.url }], logger });
  mirror = await createRegistry({ namespace: proxy, logger }).listen({
    host: '127.0.0.1',
    port: MIRROR_PORT,
  });
  temp = await mkdtemp(path.join(os.tmpdir(), 'glci-proxy-clients-'));
}, 300_000);

afterAll(async () => {
  await run('docker', ['rmi', '--force', `${hubName}:1`, `127.0.0.1:${MIRROR_PORT}/glci/multilayer:1`]).catch(
    () => {},
  );
  await mirror?.close();
  await counted?.stop();
  await upstream?.stop();
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe('real clients pulling through glci', () => {
  it('dockerd pulls a Docker Hub name through glci as its registry mirror', async () => {
    counted.reset();
    await run('docker', ['pull', `${hubName}:1`], { timeoutMs: 180_000 });
    // It came through the mirror: glci fetched it from the upstream under library/.
    expect(counted.requests).toContain(`GET /v2/library/${hubName}/manifests/1 200`);
    const inspected = JSON.parse(await run('docker', ['image', 'inspect', `${hubName}:1`])) as {
      Config: { Labels: Record<string, string> };
    }[];
    expect(inspected[0]!.Config.Labels['dev.glci.test']).toBe('multilayer');
  });

  it('skopeo and the docker CLI pull through glci: each blob fetched once, then nothing', async () => {
    counted.reset();
    const host = `127.0.0.1:${MIRROR_PORT}`;
    const copy = (target: string) =>
      run(
        'skopeo',
        ['copy', '--src-tls-verify=false', `docker://${host}/glci/multilayer:1`, `dir:${temp}/${target}`],
        {
          timeoutMs: 180_000,
        },
      );
    await copy('cold');
    const blobGets = counted.requests.filter((line) => line.startsWith('GET /v2/glci/multilayer/blobs/'));
    expect(blobGets.length).toBeGreaterThanOrEqual(5);
    expect(new Set(blobGets).size).toBe(blobGets.length);
    expect(blobGets.every((line) => line.endsWith(' 200'))).toBe(true);

    counted.reset();
    await copy('warm');
    await run('docker', ['pull', `${host}/glci/multilayer:1`], { timeoutMs: 180_000 });
    expect(counted.requests).toEqual([]);
    // What glci served is byte-identical to the upstream's manifest.
    expect(await skopeoDigest(`${host}/glci/multilayer:1`)).toBe(
      await skopeoDigest(`${upstream.host}/glci/multilayer:1`),
    );
  });

  it('skopeo copies a multi-arch manifest list through glci with every child byte-identical', async () => {
    const host = `127.0.0.1:${MIRROR_PORT}`;
    await run(
      'skopeo',
      [
        'copy',
        '--all',
        '--src-tls-verify=false',
        `docker://${host}/glci/multilayer:multi`,
        `dir:${temp}/multi`,
      ],
      { timeoutMs: 180_000 },
    );
    expect(await skopeoDigest(`${host}/glci/multilayer:multi`)).toBe(listDigest);
    const list = JSON.parse(
      await run('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${host}/glci/multilayer:multi`,
      ]),
    ) as {
      manifests: { digest: string }[];
    };
    for (const child of list.manifests) {
      expect(await skopeoDigest(`${host}/glci/multilayer@${child.digest}`)).toBe(child.digest);
    }
  });

  it('a skopeo push through the proxying registry asks no upstream anything', async () => {
    counted.reset();
    const name = `glci/pushed-${suffix}`;
    await run(
      'skopeo',
      [
        'copy',
        '--dest-tls-verify=false',
        'docker-daemon:glci-test/busybox:1',
        `docker://127.0.0.1:${MIRROR_PORT}/${name}:1`,
      ],
      { timeoutMs: 180_000 },
    );
    expect(counted.requests).toEqual([]);
    expect(await skopeoDigest(`127.0.0.1:${MIRROR_PORT}/${name}:1`)).toMatch(/^sha256:/);
  });
});
