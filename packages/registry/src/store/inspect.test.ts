import { describe, expect, it } from 'vitest';
import type { BlobWriter } from './contracts.js';
import { listRepositories, registryStats } from './inspect.js';
import { bytes, pushBlob, pushImage, testNamespace } from './test-support/fixtures.js';

describe('registry stats and listing', () => {
  it('counts repositories, tags, manifests, distinct blobs, bytes and sessions', async () => {
    const namespace = testNamespace();
    const a = await namespace.repository('team/a');
    const b = await namespace.repository('team/b');
    const one = await pushImage(a, 'one', { tag: 'v1', layers: ['shared'] });
    await a.tags.tag('latest', { mediaType: 'x', digest: one.digest, size: 1 });
    await pushImage(b, 'two', { tag: 'v1', layers: ['shared'] });
    await pushBlob(b, 'loose');
    const session = (await (await namespace.repository('uploading')).blobs.createUpload()) as BlobWriter;
    await session.write(bytes('12345'));
    await session.close();
    const stats = await registryStats(namespace);
    // Blobs: 2 configs + 'shared' once + 'loose' + 2 manifests.
    expect(stats).toMatchObject({
      repositories: 2,
      tags: 3,
      manifests: 2,
      blobs: 6,
      uploads: { sessions: 1, bytes: 5 },
    });
    expect(stats.bytes).toBeGreaterThan(0);

    expect(await listRepositories(namespace)).toEqual([
      {
        name: 'team/a',
        tags: [
          { tag: 'latest', digest: String(one.digest) },
          { tag: 'v1', digest: String(one.digest) },
        ],
        untaggedManifests: 0,
      },
      {
        name: 'team/b',
        tags: [{ tag: 'v1', digest: expect.stringMatching(/^sha256:/) }],
        untaggedManifests: 0,
      },
    ]);
  });

  it('reports an empty registry', async () => {
    const namespace = testNamespace();
    expect(await registryStats(namespace)).toEqual({
      repositories: 0,
      tags: 0,
      manifests: 0,
      blobs: 0,
      bytes: 0,
      uploads: { sessions: 0, bytes: 0 },
    });
    expect(await listRepositories(namespace)).toEqual([]);
  });
});
