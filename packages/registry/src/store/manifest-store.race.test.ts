import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { ManifestBlobUnknownError, ManifestUnknownError } from '../errors.js';
import { MediaType } from '../media-types.js';
import type { Descriptor } from './contracts.js';
import { blobDataPath, layerLinkPath } from './paths.js';
import { Barriers } from './test-support/barriers.js';
import { bytes, descriptorJson, pushBlob, readAll, testNamespace } from './test-support/fixtures.js';

/**
 * PUT and DELETE of one manifest, raced deterministically: one operation is held at a store hook
 * while the other runs. "Two nodes" are two namespaces over one storage (what two processes on one
 * bucket are); in one namespace the manifest lock serialises them.
 */
function twoNodes() {
  const driver = new MemoryDriver();
  const barriers = new Barriers();
  return { driver, barriers, a: testNamespace({ driver, hooks: barriers }), b: testNamespace({ driver }) };
}

async function imageOf(namespace: ReturnType<typeof testNamespace>, name = 'app') {
  const repository = await namespace.repository(name);
  const config = await pushBlob(repository, '{"os":"linux"}');
  const layer = await pushBlob(repository, `layer of ${name}`);
  const content = bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptorJson({ ...config, mediaType: MediaType.ociConfig }),
      layers: [descriptorJson({ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar' })],
    }),
  );
  return { repository, content, config, layer };
}

/** A tag resolves, its manifest reads, and every blob the manifest names reads: nothing dangles. */
async function expectWhole(
  repository: Awaited<ReturnType<typeof imageOf>>['repository'],
  tag: string,
  blobs: Descriptor[],
) {
  const descriptor = await repository.tags.resolve(tag);
  await repository.manifests.get(descriptor.digest);
  for (const blob of blobs)
    expect((await readAll(await repository.blobs.open(blob.digest))).length).toBe(blob.size);
}

describe('manifest PUT and DELETE racing', () => {
  it('in one process, a DELETE waits for the PUT of the same manifest to finish, then removes it whole', async () => {
    const { a, barriers } = twoNodes();
    const { repository, content } = await imageOf(a);
    const held = barriers.pause('manifest-put:tags-written');
    const put = repository.manifests.put(content, MediaType.ociManifest, { tags: ['v1'] });
    const { digest } = await held.reached.then(() => repository.tags.resolve('v1'));
    let deleted = false;
    const deletion = repository.manifests.delete(digest).then(() => {
      deleted = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(deleted).toBe(false); // held behind the PUT
    held.release();
    await put;
    await deletion;
    await expect(repository.tags.resolve('v1')).rejects.toBeInstanceOf(ManifestUnknownError);
    expect(await repository.manifests.exists(digest)).toBe(false);
  });

  it("across nodes, a DELETE between a PUT's writes and its check makes the PUT publish again: the tag resolves", async () => {
    const { a, b, barriers } = twoNodes();
    const image = await imageOf(a);
    const held = barriers.pause('manifest-put:tags-written');
    const put = image.repository.manifests.put(image.content, MediaType.ociManifest, { tags: ['v1'] });
    await held.reached;
    const digest = (await image.repository.tags.resolve('v1')).digest;
    await (await b.repository('app')).manifests.delete(digest); // node B: tag and revision go
    held.release();
    await put;
    await expectWhole(image.repository, 'v1', [image.config, image.layer]);
  });

  it("across nodes, a PUT between a DELETE's removal and its last look keeps its tag", async () => {
    const { driver, barriers } = twoNodes();
    const a = testNamespace({ driver, hooks: barriers });
    const image = await imageOf(a);
    const put = await image.repository.manifests.put(image.content, MediaType.ociManifest, { tags: ['v1'] });
    const held = barriers.pause('manifest-delete:revision-deleted');
    const deletion = image.repository.manifests.delete(put.descriptor.digest);
    await held.reached;
    const b = testNamespace({ driver });
    await (await b.repository('app')).manifests.put(image.content, MediaType.ociManifest, { tags: ['v2'] });
    held.release();
    await deletion;
    await expect(image.repository.tags.resolve('v1')).rejects.toBeInstanceOf(ManifestUnknownError);
    await expectWhole(image.repository, 'v2', [image.config, image.layer]);
  });

  it('a tag written behind a DELETE is withdrawn when the manifest stays gone', async () => {
    const { driver, barriers } = twoNodes();
    const a = testNamespace({ driver, hooks: barriers });
    const image = await imageOf(a);
    const put = await image.repository.manifests.put(image.content, MediaType.ociManifest, { tags: ['v1'] });
    const held = barriers.pause('manifest-delete:revision-deleted');
    const deletion = image.repository.manifests.delete(put.descriptor.digest);
    await held.reached;
    // Node B writes a tag link at the worst moment (what an interrupted PUT would leave).
    const b = testNamespace({ driver });
    await (await b.repository('app')).tags.write('late', put.descriptor);
    held.release();
    await deletion;
    await expect(image.repository.tags.resolve('late')).rejects.toBeInstanceOf(ManifestUnknownError);
    expect((await image.repository.tags.list()).tags).toEqual([]);
  });

  it('TagStore.tag refuses, and leaves no tag, when the manifest is deleted while it tags', async () => {
    const { driver, barriers } = twoNodes();
    const a = testNamespace({ driver, hooks: barriers });
    const image = await imageOf(a);
    const put = await image.repository.manifests.put(image.content, MediaType.ociManifest);
    const held = barriers.pause('tag:written');
    const tagging = image.repository.tags.tag('x', put.descriptor);
    await held.reached;
    await (await testNamespace({ driver }).repository('app')).manifests.delete(put.descriptor.digest);
    held.release();
    await expect(tagging).rejects.toBeInstanceOf(ManifestUnknownError);
    expect((await image.repository.tags.list()).tags).toEqual([]);
  });

  it('a layer link removed between the check and the publish is linked again while its blob exists', async () => {
    const { driver, barriers, a } = twoNodes();
    const image = await imageOf(a);
    const held = barriers.pause('manifest-put:validated');
    const put = image.repository.manifests.put(image.content, MediaType.ociManifest, { tags: ['v1'] });
    await held.reached;
    await driver.delete(layerLinkPath('app', image.layer.digest).replace(/\/link$/, '')); // as GC would
    held.release();
    await put;
    await expectWhole(image.repository, 'v1', [image.config, image.layer]);
  });

  it('a blob gone for good in between fails the PUT with MANIFEST_BLOB_UNKNOWN and leaves nothing of it', async () => {
    const { driver, barriers, a } = twoNodes();
    const image = await imageOf(a);
    const held = barriers.pause('manifest-put:validated');
    const put = image.repository.manifests.put(image.content, MediaType.ociManifest, { tags: ['v1'] });
    await held.reached;
    await driver.delete(layerLinkPath('app', image.layer.digest).replace(/\/link$/, ''));
    await driver.delete(blobDataPath(image.layer.digest));
    held.release();
    await expect(put).rejects.toBeInstanceOf(ManifestBlobUnknownError);
    await expect(image.repository.tags.resolve('v1')).rejects.toBeInstanceOf(ManifestUnknownError);
    expect((await image.repository.tags.list()).tags).toEqual([]);
    await expect(image.repository.blobs.stat(image.layer.digest)).rejects.toThrow();
  });
});
