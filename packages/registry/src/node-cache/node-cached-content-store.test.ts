import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRangeStream } from '../driver/file-range-stream.js';
import { MemoryDriver } from '../driver/memory-driver.js';
import { BlobUnknownError } from '../errors.js';
import { blobDataPath } from '../store/paths.js';
import { logger, pushBlob, pushImage, readAll, testNamespace } from '../store/test-support/fixtures.js';
import { LocalBlobCache } from './local-blob-cache.js';
import { NodeCachedContentStore } from './node-cached-content-store.js';

let directory: string;
let cache: LocalBlobCache;
let driver: MemoryDriver;

beforeEach(async () => {
  directory = mkdtempSync(path.join(os.tmpdir(), 'glci-node-cache-'));
  cache = await LocalBlobCache.create({ directory, maxBytes: 64 * 1024 * 1024, logger });
  driver = new MemoryDriver();
});
afterEach(async () => {
  await cache.close();
  rmSync(directory, { recursive: true, force: true });
});

function cachedNamespace() {
  return testNamespace({ driver, decorateContent: (store) => new NodeCachedContentStore(store, cache) });
}

describe('NodeCachedContentStore', () => {
  it('caches what a push publishes, and serves later reads from the local file', async () => {
    const repository = await cachedNamespace().repository('team/app');
    const content = randomBytes(300_000);
    const descriptor = await pushBlob(repository, content, 3);
    await cache.settled();
    expect(cache.stats()).toMatchObject({ fills: 1, filledBytes: 300_000, entries: 1 });
    const stream = await repository.blobs.open(descriptor.digest);
    expect(stream).toBeInstanceOf(FileRangeStream);
    expect(await readAll(stream)).toEqual(content);
    const range = await repository.blobs.open(descriptor.digest, { range: { offset: 7, length: 9 } });
    expect(await readAll(range)).toEqual(content.subarray(7, 16));
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 0, bytesFromCache: 300_009 });
  });

  it('reads a blob it does not hold from the store, and caches it once that read is over', async () => {
    const content = randomBytes(100_000);
    // Pushed through a node without the cache: this node has never seen it.
    const descriptor = await pushBlob(await testNamespace({ driver }).repository('team/app'), content);
    const repository = await cachedNamespace().repository('team/app');
    const miss = await repository.blobs.open(descriptor.digest);
    expect(miss).not.toBeInstanceOf(FileRangeStream);
    expect(cache.stats()).toMatchObject({ misses: 1, bytesFromStore: 100_000, fillsPending: 0 });
    expect(await readAll(miss)).toEqual(content);
    await cache.settled();
    expect(cache.stats()).toMatchObject({ fills: 1, entries: 1 });
    expect(await readAll(await repository.blobs.open(descriptor.digest))).toEqual(content);
    expect(cache.stats()).toMatchObject({ hits: 1, bytesFromCache: 100_000 });
  });

  it('never serves a blob the store no longer has, and drops its copy', async () => {
    const namespace = cachedNamespace();
    const content = randomBytes(50_000);
    const descriptor = await pushBlob(await namespace.repository('team/app'), content);
    await cache.settled();
    // Deleted from the shared store by someone else (another node's GC) while still linked here.
    await driver.delete(blobDataPath(descriptor.digest));
    await expect(namespace.blobs.open(descriptor.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    await expect(namespace.blobs.get(descriptor.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    expect(cache.stats()).toMatchObject({ entries: 0, hits: 0, evictions: 1 });
  });

  it('caches manifests and configs read or written whole, and serves them back', async () => {
    const namespace = cachedNamespace();
    const repository = await namespace.repository('team/app');
    const image = await pushImage(repository, 'app', { tag: 'v1' });
    await cache.settled();
    // The manifest (put whole), its config and layer (uploads): three entries.
    expect(cache.stats().entries).toBe(3);
    expect(Buffer.from(await namespace.blobs.get(image.digest))).toEqual(Buffer.from(image.content));
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it('leaves a range beyond the blob to the store, whose answer it is', async () => {
    const namespace = cachedNamespace();
    const descriptor = await pushBlob(await namespace.repository('team/app'), randomBytes(1000));
    await cache.settled();
    const answer = await namespace.blobs.open(descriptor.digest, { range: { offset: 990, length: 20 } });
    expect(answer).not.toBeInstanceOf(FileRangeStream);
    answer.destroy();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1 });
    await expect(
      namespace.blobs.open(descriptor.digest, { range: { offset: 2000, length: 1 } }),
    ).rejects.toThrow();
  });
});
