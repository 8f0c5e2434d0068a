import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startDistribution } from './distribution.js';
import { ensureTestImages, requireDocker } from './docker.js';
import { run } from './processes.js';

// Proves the CI install brought up the real peers every later suite stands on.
describe('real peers are up', () => {
  it('dockerd runs a container from a locally built image', async () => {
    const docker = await requireDocker();
    const images = await ensureTestImages();
    const output = await run('docker', [
      'run',
      '--rm',
      images.busybox,
      'sh',
      '-c',
      'echo hello from $(uname -s)',
    ]);
    expect(output.trim()).toBe('hello from Linux');
    const info = await docker.info();
    expect(info.RegistryConfig.Mirrors).toContain('http://127.0.0.1:39749/');
  });

  it('CNCF distribution stores a blob and returns it byte for byte', async () => {
    await using registry = await startDistribution();
    const blob = randomBytes(64 * 1024);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const start = await fetch(`${registry.url}/v2/smoke/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get('location')!, registry.url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      body: blob,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(201);
    const back = await fetch(`${registry.url}/v2/smoke/blobs/${digest}`);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer()).equals(blob)).toBe(true);
  });

  it('skopeo copies a local image into distribution and inspects it', async () => {
    const images = await ensureTestImages();
    await using registry = await startDistribution();
    await run(
      'skopeo',
      [
        'copy',
        '--dest-tls-verify=false',
        `docker-daemon:${images.multilayer}`,
        `docker://${registry.host}/smoke/multi:1`,
      ],
      {
        timeoutMs: 180_000,
      },
    );
    const inspected = JSON.parse(
      await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/smoke/multi:1`]),
    ) as {
      Layers: string[];
    };
    expect(inspected.Layers.length).toBeGreaterThanOrEqual(3);
  });
});
