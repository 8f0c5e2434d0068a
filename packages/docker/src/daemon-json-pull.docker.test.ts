import { randomBytes } from 'node:crypto';
import { createSilentLogger } from '@glci/config';
import {
  createNamespace,
  createRegistry,
  MemoryDriver,
  type Registry,
  type RunningRegistry,
} from '@glci/registry';
import { ensureTestImages, requireDocker, run, TEST_IMAGES } from '@glci/testkit';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dindDaemonConfig } from './dind.js';
import { createTar } from './tar.js';

/**
 * The proof that glci's generated daemon.json works in a real dockerd: this host's dockerd is
 * started from it (scripts/services.sh, for a glci registry on 127.0.0.1:39749), and pulls a
 * Docker Hub name through a glci registry listening there.
 */
const MIRROR_HOST = '127.0.0.1:39749';
const MIRROR_PORT = 39749;
/** @glci/proxy's real-clients test uses the same port; packages run one after another in CI. */
const PORT_WAIT_MS = 60_000;
const logger = createSilentLogger();
const name = `glci-mirror-${randomBytes(4).toString('hex')}`;
const generated = dindDaemonConfig(MIRROR_HOST);

let docker: Docker;
let mirror: RunningRegistry | undefined;
const requests: string[] = [];

beforeAll(async () => {
  docker = await requireDocker();
  await ensureTestImages();
  const registry = createRegistry({
    namespace: createNamespace({ driver: new MemoryDriver(), logger }),
    logger,
  });
  mirror = await listenWhenFree(registry, MIRROR_PORT);
  mirror.server.on('request', (req, res) =>
    res.on('finish', () => requests.push(`${req.method} ${req.url} ${res.statusCode}`)),
  );
}, 180_000);

afterAll(async () => {
  await run('docker', ['rmi', '--force', `${name}:1`]).catch(() => {});
  await mirror?.close();
});

describe("a dockerd started with glci's daemon.json", () => {
  it('has the registry settings glci generates for 127.0.0.1:39749', async () => {
    const info = (await docker.info()) as { RegistryConfig: RegistryConfig };
    // dockerd lists mirrors with a trailing slash.
    const mirrors = generated['registry-mirrors'].map((url) => `${url.replace(/\/+$/, '')}/`);
    expect(info.RegistryConfig.Mirrors, 'run bash scripts/services.sh').toEqual(mirrors);
    expect(info.RegistryConfig.IndexConfigs['docker.io']?.Mirrors).toEqual(mirrors);
    for (const host of generated['insecure-registries']) {
      expect(info.RegistryConfig.IndexConfigs[host]).toEqual({
        Name: host,
        Mirrors: [],
        Secure: false,
        Official: false,
      });
    }
  });

  it('pulls a Docker Hub name through a glci registry as its mirror', async () => {
    // A fresh image (a random layer on busybox), copied into the registry as library/<name>:1, then
    // removed locally: only the mirror has it.
    const id = await buildImage(`${name}:1`);
    await run(
      'skopeo',
      [
        'copy',
        '--dest-tls-verify=false',
        `docker-daemon:${name}:1`,
        `docker://${MIRROR_HOST}/library/${name}:1`,
      ],
      { timeoutMs: 180_000 },
    );
    await run('docker', ['rmi', `${name}:1`]);
    await expect(docker.getImage(id).inspect()).rejects.toMatchObject({ statusCode: 404 });

    requests.length = 0;
    await run('docker', ['pull', `${name}:1`], { timeoutMs: 180_000 });

    expect((await docker.getImage(`${name}:1`).inspect()).Id).toBe(id);
    // The daemon asked its mirror for library/<name>: the tag (dockerd 20.10 HEADs it, then GETs the
    // manifest by digest), the image config and at least the random layer.
    const repo = `/v2/library/${name}`;
    const manifests = requests.filter((line) => line.includes(`${repo}/manifests/`));
    expect(manifests.filter((line) => /^(GET|HEAD) \S+\/manifests\/1 200$/.test(line))).toHaveLength(1);
    expect(manifests.every((line) => line.endsWith(' 200'))).toBe(true);
    const blobGets = requests.filter((line) => line.startsWith(`GET ${repo}/blobs/`));
    expect(blobGets).toContain(`GET ${repo}/blobs/${id} 200`);
    expect(blobGets.length).toBeGreaterThanOrEqual(2);
    expect(blobGets.every((line) => line.endsWith(' 200'))).toBe(true);
  });
});

interface RegistryConfig {
  Mirrors: string[];
  IndexConfigs: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }>;
}

/** Listens on `port`, waiting while another test (in dev, running beside this one) holds it. */
async function listenWhenFree(registry: Registry, port: number): Promise<RunningRegistry> {
  const deadline = Date.now() + PORT_WAIT_MS;
  for (;;) {
    try {
      return await registry.listen({ host: '127.0.0.1', port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (Date.now() >= deadline) {
        throw new Error(
          `127.0.0.1:${port}, dockerd's registry mirror, stayed in use for ${PORT_WAIT_MS / 1000} s ` +
            '(another test, e.g. @glci/proxy real-clients, holds it); run this test again when it is free',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Builds `tag` from busybox plus a random layer; returns the image ID. */
async function buildImage(tag: string): Promise<string> {
  const context = await createTar([
    { path: 'Dockerfile', content: `FROM ${TEST_IMAGES.busybox}\nCOPY random.bin /random.bin\n` },
    { path: 'random.bin', content: randomBytes(64 * 1024) },
  ]);
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag, rm: true });
  const output = await new Promise<unknown[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (error, result) => (error ? reject(error) : resolve(result))),
  );
  const failure = output.find((line) => (line as { error?: string }).error);
  if (failure) throw new Error(`building ${tag}: ${JSON.stringify(failure)}`);
  return (await docker.getImage(tag).inspect()).Id;
}
