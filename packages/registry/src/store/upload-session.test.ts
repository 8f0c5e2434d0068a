import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FsDriver } from '../driver/fs-driver.js';
import { MemoryDriver } from '../driver/memory-driver.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import {
  BlobUploadUnknownError,
  DigestMismatchError,
  UploadIdleError,
  UploadSessionBusyError,
} from '../errors.js';
import type { BlobWriter, Repository } from './contracts.js';
import type { CreateNamespaceOptions } from './namespace.js';
import { Barriers } from './test-support/barriers.js';
import { pushBlob, readAll, sha256, TestClock, testNamespace } from './test-support/fixtures.js';
import { UploadLeaseLostError } from './upload-lease.js';

const directories: string[] = [];
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

const drivers: Array<[string, () => Promise<StorageDriver>]> = [
  ['memory', async () => new MemoryDriver()],
  [
    'filesystem',
    async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'glci-upload-'));
      directories.push(root);
      return new FsDriver({ root, fsync: false });
    },
  ],
];

async function setup(driver: StorageDriver, options: Partial<CreateNamespaceOptions> = {}) {
  const barriers = new Barriers();
  const namespace = testNamespace({ driver, hooks: barriers, ...options });
  const repository = await namespace.repository('attacker/x');
  const created = (await repository.blobs.createUpload()) as BlobWriter;
  await created.close();
  return { barriers, namespace, repository, id: created.id };
}

/** A body whose chunks the test hands over one by one. */
function body(): { stream: PassThrough; send(bytes: Uint8Array): void; end(): void } {
  const stream = new PassThrough();
  return { stream, send: (bytes) => stream.write(bytes), end: () => stream.end() };
}

async function contentOf(repository: Repository, digest: ReturnType<typeof sha256>): Promise<Buffer> {
  return readAll(await repository.blobs.open(digest));
}

describe.each(drivers)('upload sessions (%s): one writer at a time', (_name, makeDriver) => {
  it('refuses a second write, a commit and a cancel while a write is in progress, and changes nothing', async () => {
    const { barriers, repository, id } = await setup(await makeDriver());
    const x = randomBytes(256 * 1024);
    const first = await repository.blobs.resumeUpload(id);
    const request = body();
    const writing = first.write(request.stream, { expectedOffset: 0 });
    const paused = barriers.pause('upload:chunk-written');
    request.send(x.subarray(0, 100_000));
    await paused.reached;

    const second = await repository.blobs.resumeUpload(id);
    expect(second.size).toBe(100_000); // what the writing request holds so far
    const refused = await second.write(randomBytes(1000), { expectedOffset: 0 }).catch((error) => error);
    expect(refused).toBeInstanceOf(UploadSessionBusyError);
    expect((refused as UploadSessionBusyError).currentSize).toBe(100_000);
    await expect(
      (await repository.blobs.resumeUpload(id)).commit(sha256(x.subarray(0, 100_000))),
    ).rejects.toBeInstanceOf(UploadSessionBusyError);
    await expect((await repository.blobs.resumeUpload(id)).cancel()).rejects.toBeInstanceOf(
      UploadSessionBusyError,
    );

    paused.release();
    request.send(x.subarray(100_000));
    request.end();
    await writing;
    await first.close();
    const descriptor = await (await repository.blobs.resumeUpload(id)).commit(sha256(x));
    expect(descriptor.size).toBe(x.length);
    expect((await contentOf(repository, sha256(x))).equals(x)).toBe(true);
  });

  it('a request that started before the commit cannot write into the published blob (the 05 reproduction)', async () => {
    const { namespace, repository, id } = await setup(await makeDriver());
    const victim = await namespace.repository('victim/app');
    const x = randomBytes(64 * 1024);
    const y = randomBytes(64 * 1024);
    await pushBlob(victim, x);

    // The first PATCH: headers received, body not yet. It holds the session from here on.
    const stale = await repository.blobs.resumeUpload(id);
    const request = body();
    const writing = stale.write(request.stream, { expectedOffset: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // A second PATCH with X and the closing PUT for X are both refused while it lasts.
    await expect(
      (await repository.blobs.resumeUpload(id)).write(x, { expectedOffset: 0 }),
    ).rejects.toBeInstanceOf(UploadSessionBusyError);
    await expect((await repository.blobs.resumeUpload(id)).commit(sha256(x))).rejects.toBeInstanceOf(
      UploadSessionBusyError,
    );
    // The first PATCH now sends Y: it lands in the session, not in anything published.
    request.send(y);
    request.end();
    await writing;
    await stale.close();
    expect((await contentOf(victim, sha256(x))).equals(x)).toBe(true);
    // Committing Y under X's digest is refused, and X stays X everywhere.
    await expect((await repository.blobs.resumeUpload(id)).commit(sha256(x))).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    expect((await contentOf(victim, sha256(x))).equals(x)).toBe(true);
    await expect(repository.blobs.resumeUpload(id)).rejects.toBeInstanceOf(BlobUploadUnknownError);
  });

  it('after a commit, a handle taken before it can no longer write (its session is gone)', async () => {
    const { repository, id } = await setup(await makeDriver());
    const x = randomBytes(10_000);
    const early = await repository.blobs.resumeUpload(id);
    const committer = await repository.blobs.resumeUpload(id);
    await committer.write(x, { expectedOffset: 0 });
    await committer.commit(sha256(x));
    await expect(early.write(randomBytes(10), { expectedOffset: 0 })).rejects.toBeInstanceOf(
      BlobUploadUnknownError,
    );
    expect((await contentOf(repository, sha256(x))).equals(x)).toBe(true);
  });

  it('commits exactly the bytes it verified when the session is written in several requests', async () => {
    const { repository, id } = await setup(await makeDriver());
    const x = randomBytes(300_000);
    for (let offset = 0; offset < x.length; offset += 70_000) {
      const writer = await repository.blobs.resumeUpload(id);
      await writer.write(x.subarray(offset, offset + 70_000), { expectedOffset: offset });
      await writer.close();
    }
    await (await repository.blobs.resumeUpload(id)).commit(sha256(x));
    const read = await contentOf(repository, sha256(x));
    expect(createHash('sha256').update(read).digest('hex')).toBe(sha256(x).hex);
  });

  it('cuts a request that stops sending, keeps what it sent and frees the session', async () => {
    const { repository, id } = await setup(await makeDriver(), { uploadIdleTimeoutMs: 60 });
    const stalled = await repository.blobs.resumeUpload(id);
    const request = body();
    const writing = stalled.write(request.stream, { expectedOffset: 0 });
    request.send(Buffer.from('first bytes'));
    await expect(writing).rejects.toBeInstanceOf(UploadIdleError);
    const next = await repository.blobs.resumeUpload(id);
    expect(next.size).toBe('first bytes'.length);
    await next.write(Buffer.from(' and more'), { expectedOffset: next.size });
    await next.commit(sha256('first bytes and more'));
  });

  it('frees the session when the request body fails half way', async () => {
    const { repository, id } = await setup(await makeDriver());
    const failing = await repository.blobs.resumeUpload(id);
    const request = body();
    const writing = failing.write(request.stream, { expectedOffset: 0 });
    request.send(Buffer.from('partial'));
    // Fail the body only once its first chunk is written (a fixed sleep is too short under load).
    while (failing.size < 'partial'.length) await new Promise((resolve) => setTimeout(resolve, 2));
    request.stream.destroy(new Error('client went away'));
    await expect(writing).rejects.toThrow('client went away');
    const next = await repository.blobs.resumeUpload(id);
    expect(next.size).toBe('partial'.length);
    await next.write(Buffer.from('!'), { expectedOffset: next.size });
    await next.close();
  });
});

describe('upload sessions: a lease lost mid-request', () => {
  it('stops the write and persists nothing over the new holder', async () => {
    const clock = new TestClock();
    const driver = new MemoryDriver({ clock: clock.read });
    const namespace = testNamespace({ driver, clock: clock.read, uploadLeaseTtlMs: 30 });
    const repository = await namespace.repository('app');
    const created = (await repository.blobs.createUpload()) as BlobWriter;
    await created.close();
    const writer = await repository.blobs.resumeUpload(created.id);
    const request = body();
    const writing = writer.write(request.stream, { expectedOffset: 0 });
    request.send(Buffer.from('before the stall'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(31); // this process "stalled" past its lease: its next renewal finds out
    await expect(writing).rejects.toBeInstanceOf(UploadLeaseLostError);
  });
});
