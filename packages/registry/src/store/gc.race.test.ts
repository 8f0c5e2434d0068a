import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { BlobUnknownError, ManifestBlobUnknownError } from '../errors.js';
import { MediaType } from '../media-types.js';
import type { Descriptor, Repository } from './contracts.js';
import { garbageCollect } from './gc.js';
import { Barriers } from './test-support/barriers.js';
import {
  bytes,
  descriptorJson,
  pushBlob,
  readAll,
  sha256,
  TestClock,
  testNamespace,
} from './test-support/fixtures.js';

const HOUR = 60 * 60 * 1000;

/**
 * GC against pushes, held at store hooks so that each interleaving the issue names happens for
 * certain: the re-push that skips uploads after HEAD (reproduction 02), a mount, and a manifest PUT
 * arriving while GC sweeps. In every one the accepted push ends whole, or the push is refused.
 */
function setup() {
  const clock = new TestClock();
  const driver = new MemoryDriver({ clock: clock.read });
  const barriers = new Barriers();
  const namespace = testNamespace({ driver, clock: clock.read, hooks: barriers, uploadExpiryMs: 48 * HOUR });
  return { clock, driver, barriers, namespace };
}

function manifestOf(config: Descriptor, layer: Descriptor, extra: Record<string, unknown> = {}): Uint8Array {
  return bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptorJson({ ...config, mediaType: MediaType.ociConfig }),
      layers: [descriptorJson({ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar' })],
      ...extra,
    }),
  );
}

/** An image pushed long ago whose manifest was then deleted: its blobs are still linked, unreferenced. */
async function staleBlobs(namespace: ReturnType<typeof setup>['namespace'], clock: TestClock) {
  const repository = await namespace.repository('gcrace/app');
  const config = await pushBlob(repository, '{"os":"linux"}');
  const layer = await pushBlob(repository, 'the layer');
  const old = await repository.manifests.put(manifestOf(config, layer), MediaType.ociManifest, {
    tags: ['old'],
  });
  await repository.manifests.delete(old.descriptor.digest);
  clock.advance(3 * HOUR);
  return { repository, config, layer, manifest: manifestOf(config, layer, { annotations: { v: '2' } }) };
}

async function expectWhole(repository: Repository, tag: string, blobs: Descriptor[]) {
  const descriptor = await repository.tags.resolve(tag);
  await repository.manifests.get(descriptor.digest);
  for (const blob of blobs) {
    const content = await readAll(await repository.blobs.open(blob.digest));
    expect(sha256(content).toString()).toBe(blob.digest.toString());
  }
}

describe('garbage collection racing pushes', () => {
  it('a HEAD before GC keeps the blob for the push that skips its upload (reproduction 02)', async () => {
    const { clock, namespace } = setup();
    const { repository, config, layer, manifest } = await staleBlobs(namespace, clock);
    for (const blob of [config, layer]) await repository.blobs.stat(blob.digest, { refresh: true });
    const report = await garbageCollect(namespace);
    expect(report.layerLinksRemoved).toBe(0);
    await repository.manifests.put(manifest, MediaType.ociManifest, { tags: ['v2'] });
    await expectWhole(repository, 'v2', [config, layer]);
  });

  it('a HEAD after GC removed the link answers unknown, so the client uploads and the push is whole', async () => {
    const { clock, barriers, namespace } = setup();
    const { repository, config, layer, manifest } = await staleBlobs(namespace, clock);
    const held = barriers.pause('gc:links-hidden');
    const gc = garbageCollect(namespace);
    await held.reached;
    for (const blob of [config, layer]) {
      await expect(repository.blobs.stat(blob.digest, { refresh: true })).rejects.toBeInstanceOf(
        BlobUnknownError,
      );
    }
    await pushBlob(repository, '{"os":"linux"}');
    await pushBlob(repository, 'the layer');
    held.release();
    await gc;
    await repository.manifests.put(manifest, MediaType.ociManifest, { tags: ['v2'] });
    await expectWhole(repository, 'v2', [config, layer]);
  });

  it('a manifest PUT published after GC marked: GC sees it on its second look and restores the links', async () => {
    const { clock, barriers, namespace } = setup();
    const { repository, config, layer, manifest } = await staleBlobs(namespace, clock);
    const marked = barriers.pause('gc:marked');
    const gc = garbageCollect(namespace);
    await marked.reached;
    const written = barriers.pause('manifest-put:revision-written');
    const put = repository.manifests.put(manifest, MediaType.ociManifest, { tags: ['v2'] });
    await written.reached;
    marked.release();
    const report = await gc; // hides both links, then finds the new revision referencing them
    expect(report.layerLinksRemoved).toBe(0);
    expect(report.blobsDeleted).toBe(1); // the deleted old manifest's bytes only
    written.release();
    await put;
    await expectWhole(repository, 'v2', [config, layer]);
  });

  it('a manifest PUT between GC hiding a link and its second look links it again; GC keeps the blob', async () => {
    const { clock, barriers, namespace } = setup();
    const { repository, config, layer, manifest } = await staleBlobs(namespace, clock);
    const validated = barriers.pause('manifest-put:validated');
    const put = repository.manifests.put(manifest, MediaType.ociManifest, { tags: ['v2'] });
    await validated.reached; // both links were there when the PUT checked
    const hidden = barriers.pause('gc:links-hidden');
    const gc = garbageCollect(namespace);
    await hidden.reached; // ... and now GC removed them
    validated.release();
    await put; // publishes, finds the links gone, links them again while the blobs exist
    hidden.release();
    const report = await gc;
    expect(report.blobsDeleted).toBe(1); // the deleted old manifest's bytes only
    await expectWhole(repository, 'v2', [config, layer]);
  });

  it('a manifest PUT whose blobs GC deleted after the PUT checked them is refused and leaves nothing', async () => {
    const { clock, barriers, namespace } = setup();
    const { repository, config, layer, manifest } = await staleBlobs(namespace, clock);
    const validated = barriers.pause('manifest-put:validated');
    const put = repository.manifests.put(manifest, MediaType.ociManifest, { tags: ['v2'] });
    await validated.reached;
    const report = await garbageCollect(namespace);
    expect(report.blobsDeleted).toBe(3); // config, layer, and the deleted old manifest's bytes
    validated.release();
    await expect(put).rejects.toBeInstanceOf(ManifestBlobUnknownError);
    expect((await repository.tags.list()).tags).toEqual([]);
    for (const blob of [config, layer]) {
      await expect(repository.blobs.stat(blob.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    }
  });

  it('a mount while GC sweeps links a fresh copy that GC then keeps', async () => {
    const { clock, barriers, namespace } = setup();
    const { repository, layer } = await staleBlobs(namespace, clock);
    const marked = barriers.pause('gc:marked');
    const gc = garbageCollect(namespace);
    await marked.reached;
    const target = await namespace.repository('gcrace/other');
    const mounted = await target.blobs.createUpload({ mount: { digest: layer.digest, from: 'gcrace/app' } });
    expect(mounted.mounted).toBe(true);
    marked.release();
    const report = await gc;
    expect(report.layerLinksRemoved).toBe(2); // the stale links in gcrace/app
    const content = await readAll(await target.blobs.open(layer.digest));
    expect(sha256(content).toString()).toBe(layer.digest.toString());
    await expect(repository.blobs.stat(layer.digest)).rejects.toBeInstanceOf(BlobUnknownError);
  });

  it('a mount from a link GC already removed becomes a plain upload (202), never a link to nothing', async () => {
    const { clock, barriers, namespace } = setup();
    const { layer } = await staleBlobs(namespace, clock);
    const trashed = barriers.pause('gc:blobs-trashed');
    const gc = garbageCollect(namespace);
    await trashed.reached;
    const target = await namespace.repository('gcrace/other');
    const attempt = await target.blobs.createUpload({ mount: { digest: layer.digest, from: 'gcrace/app' } });
    expect(attempt.mounted).toBeFalsy();
    trashed.release();
    await gc;
    await expect(target.blobs.stat(layer.digest)).rejects.toBeInstanceOf(BlobUnknownError);
  });

  it('a blob linked by a commit while GC has it in the trash is restored (either side sees the other)', async () => {
    const { clock, barriers, namespace } = setup();
    const { repository, layer } = await staleBlobs(namespace, clock);
    const trashed = barriers.pause('gc:blobs-trashed');
    const gc = garbageCollect(namespace);
    await trashed.reached;
    // The same bytes pushed again now: published afresh, then linked.
    await pushBlob(repository, 'the layer');
    trashed.release();
    await gc;
    const content = await readAll(await repository.blobs.open(layer.digest));
    expect(sha256(content).toString()).toBe(layer.digest.toString());
  });

  it("a blob pushed again after GC looked for its links, and linked after that, is not GC's to delete", async () => {
    const { clock, barriers, namespace } = setup();
    const { repository, layer } = await staleBlobs(namespace, clock);
    const checked = barriers.pause('gc:blobs-checked');
    const gc = garbageCollect(namespace);
    await checked.reached; // the layer is in the trash, and GC found no link to it
    await pushBlob(repository, 'the layer'); // published afresh at its address, then linked: 201
    checked.release();
    await gc;
    const content = await readAll(await repository.blobs.open(layer.digest));
    expect(sha256(content).toString()).toBe(layer.digest.toString());
  });

  describe('with deleteUntagged', () => {
    it('an untagged manifest tagged by a PUT while GC has it removed is published again, whole', async () => {
      const { clock, barriers, namespace } = setup();
      const repository = await namespace.repository('untagged/app');
      const config = await pushBlob(repository, '{}');
      const layer = await pushBlob(repository, 'untagged layer');
      const content = manifestOf(config, layer);
      await repository.manifests.put(content, MediaType.ociManifest);
      clock.advance(3 * HOUR);
      const hidden = barriers.pause('gc:manifests-hidden');
      const gc = garbageCollect(namespace, { deleteUntagged: true });
      await hidden.reached;
      await repository.manifests.put(content, MediaType.ociManifest, { tags: ['now-tagged'] });
      hidden.release();
      const report = await gc;
      expect(report.manifestsDeleted).toEqual([]);
      await expectWhole(repository, 'now-tagged', [config, layer]);
    });

    it('an index pushed after GC marked keeps the untagged child GC removed: GC restores it', async () => {
      const { clock, barriers, namespace } = setup();
      const repository = await namespace.repository('untagged/multi');
      const config = await pushBlob(repository, '{}');
      const layer = await pushBlob(repository, 'child layer');
      const child = await repository.manifests.put(manifestOf(config, layer), MediaType.ociManifest);
      clock.advance(3 * HOUR);
      const marked = barriers.pause('gc:marked');
      const gc = garbageCollect(namespace, { deleteUntagged: true });
      await marked.reached;
      const index = bytes(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociIndex,
          manifests: [descriptorJson(child.descriptor, { platform: { os: 'linux', architecture: 'amd64' } })],
        }),
      );
      await repository.manifests.put(index, MediaType.ociIndex, { tags: ['multi'] });
      marked.release();
      const report = await gc;
      expect(report.manifestsDeleted).toEqual([]);
      await repository.manifests.get(child.descriptor.digest);
      await expectWhole(repository, 'multi', []);
      for (const blob of [config, layer]) await readAll(await repository.blobs.open(blob.digest));
    });
  });
});
