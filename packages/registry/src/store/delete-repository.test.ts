import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { UnsupportedError } from '../errors.js';
import { deleteRepositoryContent } from './delete-repository.js';
import { garbageCollect } from './gc.js';
import { pushImage, testNamespace } from './test-support/fixtures.js';

describe('deleteRepositoryContent', () => {
  it('removes the tags and manifests of one repository; GC then takes only its own blobs', async () => {
    const namespace = testNamespace({ driver: new MemoryDriver() });
    const app = await namespace.repository('group/app');
    const other = await namespace.repository('group/other');
    const doomed = await pushImage(app, 'doomed', { tag: 'latest', layers: ['app only', 'shared layer'] });
    const untagged = await pushImage(app, 'by digest', { layers: ['pushed by digest'] });
    const kept = await pushImage(other, 'kept', { tag: 'v1', layers: ['shared layer'] });

    expect(await deleteRepositoryContent(namespace, 'group/app')).toBe(2);
    expect((await app.tags.list()).tags).toEqual([]);
    expect(await app.manifests.exists(doomed.digest)).toBe(false);
    expect(await app.manifests.exists(untagged.digest)).toBe(false);

    const report = await garbageCollect(namespace, { gracePeriodMs: 0 });
    expect(report.manifestsKept).toBe(1);
    expect(await namespace.blobExists(doomed.layers[0]!.digest)).toBe(false);
    expect(await namespace.blobExists(untagged.layers[0]!.digest)).toBe(false);
    // The layer the other repository's image shares stays, as does that image.
    expect(await namespace.blobExists(kept.layers[0]!.digest)).toBe(true);
    expect((await other.manifests.get(kept.digest)).content.length).toBe(kept.content.length);
    expect(await namespace.repositoryNames()).toEqual(['group/other']);
  });

  it('changes nothing in a namespace with deletes switched off', async () => {
    const namespace = testNamespace({ driver: new MemoryDriver(), deleteEnabled: false });
    const app = await namespace.repository('app');
    await pushImage(app, 'image', { tag: 'latest' });
    await expect(deleteRepositoryContent(namespace, 'app')).rejects.toBeInstanceOf(UnsupportedError);
    expect((await app.tags.list()).tags).toEqual(['latest']);
  });
});
