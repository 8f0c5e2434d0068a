import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsDriver } from '../driver/fs-driver.js';
import { MemoryDriver } from '../driver/memory-driver.js';
import { BlobUnknownError, ManifestUnknownError } from '../errors.js';
import { MediaType } from '../media-types.js';
import type { BlobWriter } from './contracts.js';
import { garbageCollect } from './gc.js';
import { blobDataPath, layerLinkPath, trashDataPath } from './paths.js';
import {
  bytes,
  descriptorJson,
  pushBlob,
  pushImage,
  sha256,
  snapshotStorage,
  TestClock,
  testNamespace,
} from './test-support/fixtures.js';

const HOUR = 60 * 60 * 1000;

function setup(options: { uploadExpiryMs?: number } = {}) {
  const clock = new TestClock();
  const driver = new MemoryDriver({ clock: clock.read });
  const namespace = testNamespace({
    driver,
    clock: clock.read,
    uploadExpiryMs: options.uploadExpiryMs ?? 48 * HOUR,
  });
  return { clock, driver, namespace };
}

describe('garbage collection', () => {
  it('removes unreferenced blobs past the grace period and keeps everything a tag reaches', async () => {
    const { clock, driver, namespace } = setup();
    const repository = await namespace.repository('app');
    const image = await pushImage(repository, 'kept', { tag: 'latest', layers: ['kept layer'] });
    const orphan = await pushBlob(repository, 'orphan layer, never referenced');
    clock.advance(2 * HOUR);
    const report = await garbageCollect(namespace);
    expect(report).toMatchObject({
      dryRun: false,
      repositories: 1,
      manifestsKept: 1,
      layerLinksRemoved: 1,
      blobsDeleted: 1,
      bytesDeleted: orphan.size,
      blobsKept: 3,
    });
    await expect(repository.blobs.stat(orphan.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    expect(await namespace.blobExists(orphan.digest)).toBe(false);
    for (const digest of [image.digest, image.config.digest, image.layers[0]!.digest]) {
      expect(await namespace.blobExists(digest)).toBe(true);
    }
    expect((await repository.manifests.get(image.digest)).content.length).toBe(image.content.length);
    await expect(driver.list('/v1/gc-trash')).rejects.toThrow();
  });

  it('changes nothing in a dry run, and reports what a real run removes', async () => {
    const { clock, driver, namespace } = setup({ uploadExpiryMs: HOUR });
    const repository = await namespace.repository('app');
    await pushImage(repository, 'kept', { tag: 'latest' });
    await pushImage(repository, 'untagged');
    await pushBlob(repository, 'orphan');
    const session = (await repository.blobs.createUpload()) as BlobWriter;
    await session.write(bytes('abandoned'));
    await session.close();
    clock.advance(3 * HOUR);
    const before = await snapshotStorage(driver);
    const dry = await garbageCollect(namespace, { dryRun: true, deleteUntagged: true });
    expect(await snapshotStorage(driver)).toEqual(before);
    expect(dry.dryRun).toBe(true);
    const real = await garbageCollect(namespace, { deleteUntagged: true });
    expect({ ...dry, dryRun: false }).toEqual(real);
    expect(real.manifestsDeleted).toHaveLength(1);
    expect(real.uploadsPurged).toBe(1);
    expect(real.uploadBytesPurged).toBe(9);
    expect(real.blobsDeleted).toBe(4); // orphan + the untagged image's manifest, config and layer
  });

  it('never deletes a blob being uploaded, just committed, or just linked', async () => {
    const { clock, namespace } = setup();
    const old = await namespace.repository('old');
    const pushed = await pushBlob(old, 'old content, linked again later');
    clock.advance(5 * HOUR);
    const repository = await namespace.repository('pushing');
    // In flight: an open session with bytes, not yet committed.
    const session = (await repository.blobs.createUpload()) as BlobWriter;
    await session.write(bytes('in flight'));
    await session.close();
    // Just committed: no manifest references it yet.
    const fresh = await pushBlob(repository, 'fresh layer');
    // Just linked: an old blob mounted a moment ago (its data is old, the link is new).
    const mounted = await repository.blobs.createUpload({ mount: { digest: pushed.digest, from: 'old' } });
    expect(mounted.mounted).toBe(true);
    const report = await garbageCollect(namespace);
    expect(report.blobsDeleted).toBe(0);
    expect(report.layerLinksRemoved).toBe(1); // the stale link in `old`
    // `fresh` and `pushed` are both marked through their new links in `pushing`.
    expect(report.blobsKept).toBe(2);
    expect((await repository.blobs.stat(fresh.digest)).size).toBe(fresh.size);
    expect((await repository.blobs.stat(pushed.digest)).size).toBe(pushed.size);
    const resumed = await repository.blobs.resumeUpload(session.id);
    await resumed.commit(sha256('in flight'));
    // The manifest that references them arrives after GC: everything is still there.
    const config = await pushBlob(repository, '{}');
    await repository.manifests.put(
      bytes(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: descriptorJson({ ...config, mediaType: MediaType.ociConfig }),
          layers: [fresh, pushed, { ...fresh, digest: sha256('in flight'), size: 9 }].map((layer) =>
            descriptorJson({ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar' }),
          ),
        }),
      ),
      MediaType.ociManifest,
    );
  });

  it('spares unlinked content younger than the grace period (a commit between its move and its link)', async () => {
    const { clock, driver, namespace } = setup();
    await driver.putContent(blobDataPath(sha256('moved, not yet linked')), bytes('moved, not yet linked'));
    const first = await garbageCollect(namespace);
    expect(first).toMatchObject({ blobsInGracePeriod: 1, blobsDeleted: 0 });
    clock.advance(2 * HOUR);
    const second = await garbageCollect(namespace, { gracePeriodMs: HOUR });
    expect(second).toMatchObject({ blobsInGracePeriod: 0, blobsDeleted: 1, bytesDeleted: 21 });
  });

  it('with deleteUntagged keeps index children and referrers of kept manifests, and recent pushes', async () => {
    const { clock, namespace } = setup();
    const repository = await namespace.repository('app');
    const amd = await pushImage(repository, 'amd64');
    const arm = await pushImage(repository, 'arm64');
    const index = await repository.manifests.put(
      bytes(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociIndex,
          manifests: [amd, arm].map((image) =>
            descriptorJson({
              mediaType: MediaType.ociManifest,
              digest: image.digest,
              size: image.content.length,
            }),
          ),
        }),
      ),
      MediaType.ociIndex,
    );
    await repository.tags.tag('latest', index.descriptor);
    const signature = await pushImage(repository, 'signature', {
      extra: {
        artifactType: 'application/vnd.example.sig',
        subject: {
          mediaType: MediaType.ociIndex,
          digest: String(index.descriptor.digest),
          size: index.descriptor.size,
        },
      },
    });
    const orphanSubject = sha256('a subject that was never pushed');
    const strayReferrer = await pushImage(repository, 'stray', {
      extra: { subject: { mediaType: MediaType.ociManifest, digest: String(orphanSubject), size: 1 } },
    });
    const untagged = await pushImage(repository, 'untagged');
    clock.advance(2 * HOUR);
    const recent = await pushImage(repository, 'recent, untagged');

    const kept = await garbageCollect(namespace);
    expect(kept.manifestsDeleted).toEqual([]);
    expect(kept.manifestsKept).toBe(7);

    const report = await garbageCollect(namespace, { deleteUntagged: true });
    expect(report.manifestsDeleted.map((entry) => entry.digest).sort()).toEqual(
      [untagged.digest, strayReferrer.digest].map(String).sort(),
    );
    for (const digest of [amd.digest, arm.digest, index.descriptor.digest, signature.digest, recent.digest]) {
      expect(await repository.manifests.exists(digest)).toBe(true);
    }
    await expect(repository.manifests.get(untagged.digest)).rejects.toBeInstanceOf(ManifestUnknownError);
    expect(await repository.referrers.list(orphanSubject)).toEqual([]);
    expect((await repository.referrers.list(index.descriptor.digest)).map((d) => String(d.digest))).toEqual([
      String(signature.digest),
    ]);
    expect(await namespace.blobExists(untagged.layers[0]!.digest)).toBe(false);
    expect(await namespace.blobExists(amd.layers[0]!.digest)).toBe(true);
  });

  it('keeps what extra roots name (a manifest with its content, a loose blob link) and still collects the rest', async () => {
    const { clock, namespace } = setup();
    const repository = await namespace.repository('app');
    const pinned = await pushImage(repository, 'pinned, untagged');
    const loose = await pushBlob(repository, 'a blob only the extra roots know');
    const untagged = await pushImage(repository, 'untagged, not pinned');
    const orphan = await pushBlob(repository, 'orphan');
    clock.advance(2 * HOUR);
    let calls = 0;
    const extraRoots = async () => {
      calls += 1;
      return [
        { repository: 'app', digest: String(pinned.digest) },
        { repository: 'app', digest: String(loose.digest) },
        { repository: 'app', digest: String(loose.digest) },
        { repository: 'gone', digest: String(sha256('never stored')) },
      ];
    };

    // The control: without the roots the same run would take the pinned image and the loose blob.
    const without = await garbageCollect(namespace, { deleteUntagged: true, dryRun: true });
    expect(without.manifestsDeleted.map((entry) => entry.digest).sort()).toEqual(
      [pinned.digest, untagged.digest].map(String).sort(),
    );
    expect(without.extraRoots).toBe(0);

    const report = await garbageCollect(namespace, { deleteUntagged: true, extraRoots });
    expect(calls).toBe(1);
    expect(report.extraRoots).toBe(3);
    expect(report.manifestsDeleted).toEqual([{ repository: 'app', digest: String(untagged.digest) }]);
    expect((await repository.manifests.get(pinned.digest)).content).toEqual(pinned.content);
    for (const digest of [pinned.config.digest, pinned.layers[0]!.digest, loose.digest]) {
      await expect(repository.blobs.stat(digest)).resolves.toBeDefined();
    }
    for (const digest of [orphan.digest, untagged.layers[0]!.digest]) {
      expect(await namespace.blobExists(digest)).toBe(false);
    }
  });

  it('changes nothing when the extra roots provider fails', async () => {
    const { clock, driver, namespace } = setup();
    const repository = await namespace.repository('app');
    await pushImage(repository, 'untagged');
    await pushBlob(repository, 'orphan');
    clock.advance(2 * HOUR);
    const before = await snapshotStorage(driver);
    await expect(
      garbageCollect(namespace, {
        deleteUntagged: true,
        extraRoots: async () => {
          throw new Error('cache index unreadable');
        },
      }),
    ).rejects.toThrow('cache index unreadable');
    expect(await snapshotStorage(driver)).toEqual(before);
  });

  it('collects the blobs of a deleted manifest, but not those another repository shares', async () => {
    const { clock, namespace } = setup();
    const a = await namespace.repository('a');
    const b = await namespace.repository('b');
    const first = await pushImage(a, 'shared base', { tag: 'v1', layers: ['shared', 'only in a'] });
    await pushImage(b, 'other', { tag: 'v1', layers: ['shared'] });
    await a.manifests.delete(first.digest);
    clock.advance(2 * HOUR);
    const report = await garbageCollect(namespace);
    expect(await namespace.blobExists(sha256('shared'))).toBe(true);
    expect(await namespace.blobExists(sha256('only in a'))).toBe(false);
    expect(await namespace.blobExists(first.digest)).toBe(false);
    expect(report.blobsDeleted).toBe(3); // manifest, its config, 'only in a'
  });

  it('restores a blob that a push linked while GC was deleting it', async () => {
    const clock = new TestClock();
    /** A mount lands in another repository right after GC moved the blob to its trash. */
    class RacingDriver extends MemoryDriver {
      onTrash: ((destination: string) => Promise<void>) | undefined;
      override async move(source: string, destination: string): Promise<void> {
        await super.move(source, destination);
        if (destination.includes('/gc-trash/') && this.onTrash) await this.onTrash(destination);
      }
    }
    const driver = new RacingDriver({ clock: clock.read });
    const namespace = testNamespace({ driver, clock: clock.read });
    const old = await pushBlob(await namespace.repository('old'), 'old orphan');
    clock.advance(2 * HOUR);
    driver.onTrash = async () => {
      driver.onTrash = undefined;
      await driver.putContent(
        layerLinkPath('late/mount', old.digest),
        bytes(
          JSON.stringify({
            mediaType: 'application/octet-stream',
            digest: String(old.digest),
            size: old.size,
          }),
        ),
      );
    };
    const report = await garbageCollect(namespace);
    expect(report.blobsDeleted).toBe(0);
    expect(await namespace.blobExists(old.digest)).toBe(true);
    const late = await namespace.repository('late/mount');
    expect((await late.blobs.get(old.digest)).length).toBe(old.size);
  });

  it('finishes the work of an interrupted GC: restores linked blobs from the trash, deletes the rest', async () => {
    const { driver, namespace } = setup();
    const repository = await namespace.repository('app');
    const image = await pushImage(repository, 'x', { tag: 'latest' });
    const layer = image.layers[0]!.digest;
    // A GC died after trashing a blob that a push had just linked, and another nobody links.
    await driver.move(blobDataPath(layer), trashDataPath(layer));
    await driver.putContent(trashDataPath(sha256('unlinked')), bytes('unlinked'));
    await garbageCollect(namespace);
    expect(await namespace.blobExists(layer)).toBe(true);
    await expect(driver.list('/v1/gc-trash')).rejects.toThrow();
    expect((await driver.getContent(layerLinkPath('app', layer))).length).toBeGreaterThan(0);
  });

  it('collects on the filesystem driver and leaves no empty directories behind', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'glci-gc-'));
    try {
      // The real clock, one hour ahead: everything on disk is past a one-minute grace period.
      const namespace = testNamespace({
        driver: new FsDriver({ root }),
        clock: () => new Date(Date.now() + HOUR),
      });
      const repository = await namespace.repository('app');
      const kept = await pushImage(repository, 'kept', { tag: 'v1' });
      const gone = await pushImage(repository, 'gone', { tag: 'v2', layers: ['only here'] });
      await repository.manifests.delete(gone.digest);
      const report = await garbageCollect(namespace, { gracePeriodMs: 60_000 });
      expect(report).toMatchObject({ blobsDeleted: 3, manifestsKept: 1 });
      expect(await namespace.blobExists(gone.layers[0]!.digest)).toBe(false);
      expect(await namespace.blobExists(kept.layers[0]!.digest)).toBe(true);
      // What is left: the kept image's manifest, config and layer, and no empty directory.
      const entries = await readdir(path.join(root, 'v1/blobs'), { recursive: true, withFileTypes: true });
      expect(entries.filter((entry) => entry.isFile())).toHaveLength(3);
      for (const entry of entries.filter((e) => e.isDirectory())) {
        expect((await readdir(path.join(entry.parentPath, entry.name))).length).toBeGreaterThan(0);
      }
      await expect(readdir(path.join(root, 'v1/gc-trash'))).rejects.toThrow();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
