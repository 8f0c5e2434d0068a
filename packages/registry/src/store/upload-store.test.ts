import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDigest } from '../digest.js';
import { FsDriver } from '../driver/fs-driver.js';
import { MemoryDriver } from '../driver/memory-driver.js';
import {
  BlobUnknownError,
  BlobUploadUnknownError,
  DigestMismatchError,
  UploadRangeError,
} from '../errors.js';
import type { BlobWriter } from './contracts.js';
import { digestOf, type HashingStrategy, nodeHashing, wasmHashing } from './hasher.js';
import { listOrEmpty } from './links.js';
import { blobDataPath, uploadDataPath, uploadStatePath, uploadsPath } from './paths.js';
import { bytes, pushBlob, readAll, sha256, TestClock, testNamespace } from './test-support/fixtures.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'glci-uploads-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function start(repository: Awaited<ReturnType<ReturnType<typeof testNamespace>['repository']>>) {
  return (await repository.blobs.createUpload()) as BlobWriter;
}

describe('upload sessions', () => {
  it('appends chunks in order and refuses a chunk at the wrong offset', async () => {
    const repository = await testNamespace().repository('app');
    const writer = await start(repository);
    expect(writer.mounted).toBeFalsy();
    expect(await writer.write(bytes('hello '), { expectedOffset: 0 })).toBe(6);
    const error = await writer.write(bytes('x'), { expectedOffset: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadRangeError);
    expect(error).toMatchObject({ expectedOffset: 3, currentSize: 6, uploadId: writer.id });
    await writer.write(Readable.from([bytes('wor'), bytes('ld')]), { expectedOffset: 6 });
    const descriptor = await writer.commit(sha256('hello world'));
    expect(descriptor).toMatchObject({ size: 11, mediaType: 'application/octet-stream' });
    expect((await readAll(await repository.blobs.open(descriptor.digest))).toString()).toBe('hello world');
  });

  it('continues a session across requests (resumeUpload after close)', async () => {
    const repository = await testNamespace().repository('app');
    const first = await start(repository);
    await first.write(bytes('part 1;'));
    await first.close();
    const second = await repository.blobs.resumeUpload(first.id);
    expect(second.size).toBe(7);
    expect(second.startedAt.getTime()).toBe(first.startedAt.getTime());
    await second.write(bytes('part 2'), { expectedOffset: 7 });
    await second.close();
    const third = await repository.blobs.resumeUpload(first.id);
    await third.commit(sha256('part 1;part 2'));
    await expect(repository.blobs.resumeUpload(first.id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
  });

  for (const hashing of [nodeHashing, wasmHashing]) {
    it(`resumes after a restart on the same FsDriver root (${hashing.name} hashing)`, async () => {
      const content = Buffer.alloc(3 * 1024 * 1024 + 17, 'z');
      const before = testNamespace({ driver: new FsDriver({ root }), hashing });
      const writer = await start(await before.repository('app'));
      await writer.write(content.subarray(0, 2 * 1024 * 1024));
      await writer.close();
      // A new process: a new driver and namespace over the same directory.
      const after = testNamespace({ driver: new FsDriver({ root }), hashing });
      const repository = await after.repository('app');
      const resumed = await repository.blobs.resumeUpload(writer.id);
      expect(resumed.size).toBe(2 * 1024 * 1024);
      await resumed.write(content.subarray(2 * 1024 * 1024), { expectedOffset: 2 * 1024 * 1024 });
      const descriptor = await resumed.commit(sha256(content));
      expect(descriptor.size).toBe(content.length);
      expect((await readAll(await repository.blobs.open(descriptor.digest))).equals(content)).toBe(true);
    });
  }

  it('continues a session on another node from the saved hash state, without re-reading (wasm)', async () => {
    const driver = new MemoryDriver();
    let restores = 0;
    const counting: HashingStrategy = {
      name: 'wasm',
      create: (algorithm) => wasmHashing.create(algorithm),
      restore: (algorithm, state) => {
        restores += 1;
        return wasmHashing.restore!(algorithm, state);
      },
    };
    // Two namespaces over one backend: two registry nodes sharing a bucket.
    const nodeA = await testNamespace({ driver, hashing: counting }).repository('app');
    const nodeB = await testNamespace({ driver, hashing: counting }).repository('app');
    const writer = await start(nodeA);
    await writer.write(bytes('from node A, '));
    await writer.close();
    const state = JSON.parse(
      Buffer.from(await driver.getContent(uploadStatePath('app', writer.id))).toString(),
    );
    expect(state).toMatchObject({ size: 13, hashedSize: 13, hashState: expect.any(String) });
    const onB = await nodeB.blobs.resumeUpload(writer.id);
    await onB.write(bytes('then node B'), { expectedOffset: 13 });
    // A reader that fails proves the commit does not read the upload back.
    const reader = driver.reader.bind(driver);
    driver.reader = async (path, options) => {
      if (path.includes('/_uploads/')) throw new Error('re-read the upload');
      return reader(path, options);
    };
    await onB.commit(sha256('from node A, then node B'));
    expect(restores).toBe(1);
  });

  it('re-reads the upload once at commit when the live hasher is gone (node hashing, another process)', async () => {
    const driver = new MemoryDriver();
    const writer = await start(await testNamespace({ driver }).repository('app'));
    await writer.write(bytes('before the restart, '));
    await writer.close();
    const repository = await testNamespace({ driver }).repository('app');
    const resumed = await repository.blobs.resumeUpload(writer.id);
    await resumed.write(bytes('after it'));
    const reads: string[] = [];
    const reader = driver.reader.bind(driver);
    driver.reader = async (path, options) => {
      reads.push(path);
      return reader(path, options);
    };
    await resumed.commit(sha256('before the restart, after it'));
    expect(reads).toEqual([uploadDataPath('app', writer.id)]);
  });

  it('reports the bytes a killed request wrote before its close, so the client resumes after them', async () => {
    const driver = new MemoryDriver();
    const namespace = testNamespace({ driver });
    const repository = await namespace.repository('app');
    const writer = await start(repository);
    await writer.write(bytes('abc'));
    await writer.close();
    // A request appended 'def' and died before saving the session state.
    const raw = await driver.writer(uploadDataPath('app', writer.id), { append: true });
    await raw.write(bytes('def'));
    await raw.close();
    const resumed = await testNamespace({ driver }).repository('app');
    const session = await resumed.blobs.resumeUpload(writer.id);
    expect(session.size).toBe(6);
    await session.write(bytes('g'), { expectedOffset: 6 });
    await session.commit(sha256('abcdefg'));
  });

  it('commits under another algorithm than the one hashed (sha512), by re-reading', async () => {
    const repository = await testNamespace().repository('app');
    const writer = await start(repository);
    await writer.write(bytes('sha512 content'));
    const digest = digestOf(bytes('sha512 content'), 'sha512');
    const descriptor = await writer.commit(digest);
    expect(descriptor.digest.toString()).toBe(digest.toString());
    expect((await repository.blobs.stat(digest)).size).toBe(14);
  });

  it('hashes with sha512 from the start when asked', async () => {
    const repository = await testNamespace().repository('app');
    const writer = (await repository.blobs.createUpload({ digestAlgorithm: 'sha512' })) as BlobWriter;
    await writer.write(bytes('x'));
    await writer.commit(digestOf(bytes('x'), 'sha512'));
  });

  it('on a digest mismatch leaves nothing visible and ends the session', async () => {
    const driver = new MemoryDriver();
    const namespace = testNamespace({ driver });
    const repository = await namespace.repository('app');
    const writer = await start(repository);
    await writer.write(bytes('actual content'));
    const wrong = sha256('something else');
    const error = await writer.commit(wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as DigestMismatchError).actual.toString()).toBe(sha256('actual content').toString());
    for (const digest of [wrong, sha256('actual content')]) {
      expect(await namespace.blobExists(digest)).toBe(false);
      await expect(repository.blobs.stat(digest)).rejects.toBeInstanceOf(BlobUnknownError);
      await expect(driver.stat(blobDataPath(digest))).rejects.toThrow();
    }
    expect(await listOrEmpty(driver, uploadsPath('app'))).toEqual([]);
    await expect(repository.blobs.resumeUpload(writer.id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
  });

  it('lets concurrent uploads of the same blob both succeed, storing it once', async () => {
    const driver = new MemoryDriver();
    const namespace = testNamespace({ driver });
    const content = Buffer.alloc(256 * 1024, 'q');
    const results = await Promise.all(
      ['one', 'two', 'three', 'one'].map(async (name) =>
        pushBlob(await namespace.repository(name), content, 8),
      ),
    );
    expect(new Set(results.map((result) => result.digest.toString())).size).toBe(1);
    expect(await driver.list('/v1/blobs/sha256')).toHaveLength(1);
    for (const name of ['one', 'two', 'three']) {
      const repository = await namespace.repository(name);
      expect((await readAll(await repository.blobs.open(sha256(content)))).equals(content)).toBe(true);
    }
  });

  it('cancels: the session and its bytes are gone', async () => {
    const driver = new MemoryDriver();
    const repository = await testNamespace({ driver }).repository('app');
    const writer = await start(repository);
    await writer.write(bytes('to be cancelled'));
    await writer.close();
    const resumed = await repository.blobs.resumeUpload(writer.id);
    await resumed.cancel();
    await expect(repository.blobs.resumeUpload(writer.id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
    await expect(driver.writer(uploadDataPath('app', writer.id), { append: true })).rejects.toThrow();
  });

  it('refuses unknown, malformed and foreign session ids', async () => {
    const namespace = testNamespace();
    const repository = await namespace.repository('app');
    const writer = await start(repository);
    await writer.close();
    for (const id of ['nope', '../app', '..', '', 'a/b', '%2e%2e', 'x'.repeat(300)]) {
      await expect(repository.blobs.resumeUpload(id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
    }
    const other = await namespace.repository('other');
    await expect(other.blobs.resumeUpload(writer.id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
  });

  it('expires idle sessions and purges them', async () => {
    const clock = new TestClock();
    const driver = new MemoryDriver();
    const namespace = testNamespace({ driver, clock: clock.read, uploadExpiryMs: 60_000 });
    const repository = await namespace.repository('app');
    const idle = await start(repository);
    await idle.write(bytes('idle'));
    await idle.close();
    clock.advance(30_000);
    const active = await start(repository);
    await active.close();
    clock.advance(40_000);
    expect((await namespace.uploads.purgeExpired('app', { dryRun: true })).map((s) => s.id)).toEqual([
      idle.id,
    ]);
    expect(await namespace.uploads.list('app')).toHaveLength(2);
    const purged = await namespace.uploads.purgeExpired('app');
    expect(purged.map((session) => session.id)).toEqual([idle.id]);
    expect((await namespace.uploads.list('app')).map((s) => s.id)).toEqual([active.id]);
    await expect(repository.blobs.resumeUpload(idle.id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
    clock.advance(60_000);
    // Resuming an expired session refuses it and purges it on the spot.
    await expect(repository.blobs.resumeUpload(active.id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
    expect(await namespace.uploads.list('app')).toEqual([]);
  });

  it('saves what arrived when the request stream fails, and stays resumable', async () => {
    const repository = await testNamespace().repository('app');
    const writer = await start(repository);
    const failing = new Readable({
      read() {
        this.push(bytes('received'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(writer.write(failing)).rejects.toThrow('client went away');
    await writer.close(); // a no-op now
    const resumed = await repository.blobs.resumeUpload(writer.id);
    expect(resumed.size).toBe(8);
    await resumed.write(bytes(' and the rest'), { expectedOffset: 8 });
    await resumed.commit(sha256('received and the rest'));
  });

  it('stops on abort', async () => {
    const repository = await testNamespace().repository('app');
    const writer = await start(repository);
    const controller = new AbortController();
    const endless = new Readable({
      read() {
        this.push(bytes('chunk'));
        controller.abort(new Error('aborted by test'));
      },
    });
    await expect(writer.write(endless, { signal: controller.signal })).rejects.toThrow();
    const resumed = await repository.blobs.resumeUpload(writer.id);
    expect(resumed.size).toBeGreaterThan(0);
    await resumed.cancel();
  });

  it('commits an empty blob', async () => {
    const repository = await testNamespace().repository('app');
    const writer = await start(repository);
    const empty = makeDigest('sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect((await writer.commit(empty)).size).toBe(0);
    expect((await readAll(await repository.blobs.open(empty))).length).toBe(0);
  });
});
