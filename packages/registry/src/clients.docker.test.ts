import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { ensureTestImages, requireDocker, run } from '@glci/testkit';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from './auth/basic-auth.js';
import { HtpasswdUsers } from './auth/htpasswd.js';
import { tokenAuth } from './auth/token-auth.js';
import { type CreateRegistryOptions, createRegistry, type RunningRegistry } from './create-registry.js';
import { FsDriver } from './driver/fs-driver.js';

/**
 * Real clients against a real registry: the docker CLI (through the test dockerd), skopeo, and an
 * OCI layout with a multi-arch index. The registry runs in this process on the filesystem driver
 * and 127.0.0.1:0; every tag and directory made here has a random suffix and is removed after.
 */
const logger = createSilentLogger();
const suffix = randomBytes(4).toString('hex');
const sha256 = (content: Uint8Array | string) =>
  `sha256:${createHash('sha256').update(content).digest('hex')}`;

interface Started {
  running: RunningRegistry;
  host: string;
  root: string;
}

async function startRegistry(options: Partial<CreateRegistryOptions> = {}): Promise<Started> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-clients-'));
  const registry = createRegistry({ logger, storage: new FsDriver({ root }), ...options });
  const running = await registry.listen({ port: 0 });
  return { running, host: `127.0.0.1:${running.port}`, root };
}

const createdTags: string[] = [];
async function dockerTag(source: string, target: string): Promise<void> {
  await run('docker', ['tag', source, target]);
  createdTags.push(target);
}

afterAll(async () => {
  for (const tag of createdTags) await run('docker', ['rmi', '-f', tag]).catch(() => undefined);
});

describe('docker CLI', () => {
  let registry: Started;
  let images: Awaited<ReturnType<typeof ensureTestImages>>;

  beforeAll(async () => {
    await requireDocker();
    images = await ensureTestImages();
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.running.close();
    if (registry) rmSync(registry.root, { recursive: true, force: true });
  });

  it('pushes a multi-layer image, re-pushes it (layers exist), mounts into a second repository, pulls by digest', async () => {
    const first = `${registry.host}/glci-test/multilayer-${suffix}:1`;
    await dockerTag(images.multilayer, first);
    const pushed = await run('docker', ['push', first], { timeoutMs: 300_000 });
    expect(pushed).toMatch(/Pushed/);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    expect(digest).toBeDefined();

    const again = await run('docker', ['push', first]);
    expect(again).toMatch(/Layer already exists/);
    expect(again).not.toMatch(/Pushed/);
    expect(again).toContain(`digest: ${digest}`);

    const second = `${registry.host}/glci-test/second-${suffix}:shared`;
    await dockerTag(images.multilayer, second);
    const mounted = await run('docker', ['push', second]);
    expect(mounted).toMatch(new RegExp(`Mounted from glci-test/multilayer-${suffix}`));
    expect(mounted).not.toMatch(/\bPushed\b/);

    // Pull by digest after removing every local name of the pushed image.
    await run('docker', ['rmi', first, second]);
    const byDigest = `${registry.host}/glci-test/multilayer-${suffix}@${digest}`;
    createdTags.push(byDigest);
    const pulled = await run('docker', ['pull', byDigest], { timeoutMs: 300_000 });
    expect(pulled).toContain(`Digest: ${digest}`);
    const ids = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', byDigest, images.multilayer]);
    const [pulledId, originalId] = ids.trim().split('\n');
    expect(pulledId).toBe(originalId);
  });

  it('docker login + push + pull with HTTP Basic (htpasswd, bcrypt)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-docker-config-'));
    const users = HtpasswdUsers.parse(`basic-${suffix}:${bcrypt.hashSync('basic-password', 4)}`);
    const secured = await startRegistry({ auth: basicAuth({ users }) });
    try {
      const config = ['--config', dir];
      const target = `${secured.host}/glci-test/basic-${suffix}:1`;
      await dockerTag(images.busybox, target);
      await expect(run('docker', [...config, 'push', target])).rejects.toThrow(
        /no basic auth credentials|unauthorized/i,
      );
      await expect(
        run('docker', [...config, 'login', secured.host, '-u', `basic-${suffix}`, '--password-stdin'], {
          input: 'not it',
        }),
      ).rejects.toThrow(/unauthorized|401/i);
      const login = await run(
        'docker',
        [...config, 'login', secured.host, '-u', `basic-${suffix}`, '--password-stdin'],
        { input: 'basic-password' },
      );
      expect(login).toMatch(/Login Succeeded/);
      expect(await run('docker', [...config, 'push', target])).toMatch(/digest: sha256:/);
      await run('docker', ['rmi', target]);
      expect(await run('docker', [...config, 'pull', target])).toMatch(/Downloaded newer image/);
    } finally {
      await secured.running.close();
      rmSync(secured.root, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docker login + push + pull through the token flow; anonymous pulls with pull-only tokens', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-docker-config-'));
    const users = HtpasswdUsers.parse(`ci-${suffix}:${bcrypt.hashSync('token-flow-password', 4)}`);
    const secured = await startRegistry({
      auth: tokenAuth({ users, secret: randomBytes(32), anonymousPull: true }),
    });
    try {
      const config = ['--config', dir];
      const target = `${secured.host}/glci-test/token-${suffix}:1`;
      await dockerTag(images.busybox, target);
      await expect(run('docker', [...config, 'push', target])).rejects.toThrow(
        /unauthorized|authentication required|access to the resource is denied/i,
      );
      await expect(
        run('docker', [...config, 'login', secured.host, '-u', `ci-${suffix}`, '--password-stdin'], {
          input: 'wrong password',
        }),
      ).rejects.toThrow(/unauthorized|401|invalid/i);
      const login = await run(
        'docker',
        [...config, 'login', secured.host, '-u', `ci-${suffix}`, '--password-stdin'],
        {
          input: 'token-flow-password',
        },
      );
      expect(login).toMatch(/Login Succeeded/);
      expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toContain(secured.host);
      const pushed = await run('docker', [...config, 'push', target]);
      expect(pushed).toMatch(/digest: sha256:/);
      await run('docker', ['rmi', target]);
      await run('docker', [...config, 'pull', target]);
      await run('docker', [...config, 'logout', secured.host]);
      // Logged out: pulls are anonymous (pull-only tokens), pushes are refused.
      await run('docker', ['rmi', target]);
      expect(await run('docker', [...config, 'pull', target])).toMatch(/Downloaded newer image/);
      await expect(run('docker', [...config, 'push', target])).rejects.toThrow(
        /unauthorized|authentication required|access to the resource is denied/i,
      );
    } finally {
      await secured.running.close();
      rmSync(secured.root, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('skopeo', () => {
  let registry: Started;
  let images: Awaited<ReturnType<typeof ensureTestImages>>;
  let layout: string;
  const tls = ['--tls-verify=false'];

  beforeAll(async () => {
    images = await ensureTestImages();
    registry = await startRegistry();
    layout = mkdtempSync(path.join(os.tmpdir(), 'glci-oci-layout-'));
  });
  afterAll(async () => {
    await registry?.running.close();
    if (registry) rmSync(registry.root, { recursive: true, force: true });
    if (layout) rmSync(layout, { recursive: true, force: true });
  });

  it('copies, inspects, lists tags and deletes', async () => {
    const repo = `docker://${registry.host}/skopeo/busybox-${suffix}`;
    await run('skopeo', ['copy', '--dest-tls-verify=false', `docker-daemon:${images.busybox}`, `${repo}:a`]);
    await run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `${repo}:a`,
      `${repo}:b`,
    ]);
    const inspected = JSON.parse(await run('skopeo', ['inspect', ...tls, `${repo}:a`])) as {
      Digest: string;
      RepoTags: string[];
      Layers: string[];
    };
    expect(inspected.RepoTags).toEqual(['a', 'b']);
    expect(inspected.Layers).toHaveLength(1);
    const raw = await run('skopeo', ['inspect', '--raw', ...tls, `${repo}:a`]);
    expect(sha256(raw)).toBe(inspected.Digest);

    const tags = JSON.parse(await run('skopeo', ['list-tags', ...tls, repo])) as { Tags: string[] };
    expect(tags.Tags).toEqual(['a', 'b']);

    await run('skopeo', ['delete', ...tls, `${repo}@${inspected.Digest}`]);
    await expect(run('skopeo', ['inspect', ...tls, `${repo}:a`])).rejects.toThrow(/manifest unknown/i);
    await expect(run('skopeo', ['inspect', ...tls, `${repo}:b`])).rejects.toThrow(/manifest unknown/i);
  });

  it('round-trips a multi-arch OCI index with every child manifest byte-identical', async () => {
    // Two single-arch images in an OCI layout, then an index over them written here.
    await run('skopeo', ['copy', `docker-daemon:${images.busybox}`, `oci:${layout}:busybox`]);
    await run('skopeo', ['copy', `docker-daemon:${images.multilayer}`, `oci:${layout}:multilayer`]);
    const layoutIndex = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
    };
    const children = layoutIndex.manifests.map((m, i) => ({
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.size,
      platform:
        i === 0
          ? { architecture: 'amd64', os: 'linux' }
          : { architecture: 'arm64', os: 'linux', variant: 'v8' },
    }));
    const index = `${JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: children,
        annotations: { 'dev.glci.test': suffix },
      },
      null,
      3,
    )}\n`;
    const indexDigest = sha256(index);
    writeFileSync(path.join(layout, 'blobs', 'sha256', indexDigest.slice(7)), index);
    layoutIndex.manifests.push({
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: indexDigest,
      size: Buffer.byteLength(index),
      annotations: { 'org.opencontainers.image.ref.name': 'multi' },
    });
    writeFileSync(path.join(layout, 'index.json'), JSON.stringify(layoutIndex));

    const repo = `docker://${registry.host}/skopeo/multiarch-${suffix}`;
    await run(
      'skopeo',
      ['copy', '--multi-arch', 'all', '--dest-tls-verify=false', `oci:${layout}:multi`, `${repo}:1`],
      {
        timeoutMs: 300_000,
      },
    );

    // The index and each child come back with exactly the bytes of the layout.
    const rawIndex = await run('skopeo', ['inspect', '--raw', ...tls, `${repo}:1`]);
    expect(sha256(rawIndex)).toBe(indexDigest);
    for (const child of children) {
      const response = await fetch(
        `${registry.running.url}/v2/skopeo/multiarch-${suffix}/manifests/${child.digest}`,
        {
          headers: { Accept: child.mediaType },
        },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(child.mediaType);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(sha256(bytes)).toBe(child.digest);
      expect(bytes.equals(readFileSync(path.join(layout, 'blobs', 'sha256', child.digest.slice(7))))).toBe(
        true,
      );
    }

    // And back out into a fresh layout, preserving every digest.
    const back = mkdtempSync(path.join(os.tmpdir(), 'glci-oci-back-'));
    try {
      await run('skopeo', [
        'copy',
        '--multi-arch',
        'all',
        '--src-tls-verify=false',
        '--preserve-digests',
        `${repo}:1`,
        `oci:${back}:multi`,
      ]);
      const backIndex = JSON.parse(readFileSync(path.join(back, 'index.json'), 'utf8')) as {
        manifests: { digest: string }[];
      };
      expect(backIndex.manifests.map((m) => m.digest)).toEqual([indexDigest]);
      for (const child of children) {
        const copied = readFileSync(path.join(back, 'blobs', 'sha256', child.digest.slice(7)));
        expect(sha256(copied)).toBe(child.digest);
      }
    } finally {
      rmSync(back, { recursive: true, force: true });
    }
  });
});
