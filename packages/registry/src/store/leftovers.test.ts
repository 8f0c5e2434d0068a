import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsDriver } from '../driver/fs-driver.js';
import { MemoryDriver } from '../driver/memory-driver.js';
import type { BlobWriter } from './contracts.js';
import { garbageCollect } from './gc.js';
import { listOrEmpty } from './links.js';
import { uploadDataPath, uploadLeasePath, uploadStatePath, uploadsPath } from './paths.js';
import { sha256, TestClock, testNamespace } from './test-support/fixtures.js';

const MINUTE = 60_000;

const directories: string[] = [];
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

/** A session as a crash or a failed write leaves it, in each way one can be left. */
async function leaveBehind(namespace: ReturnType<typeof testNamespace>, driver: MemoryDriver) {
  const repository = await namespace.repository('app');
  const open = async () => {
    const writer = (await repository.blobs.createUpload()) as BlobWriter;
    await writer.write(Buffer.from('some bytes'));
    await writer.close();
    return writer.id;
  };
  // Data, no state: the state file was lost (a crash between a session's two first writes).
  const dataOnly = await open();
  await driver.delete(uploadStatePath('app', dataOnly));
  // State, no data: a commit published the data and died before deleting the session.
  const stateOnly = await open();
  const committed = await driver.writer(uploadDataPath('app', stateOnly), { append: true });
  await committed.commit();
  // A lease file alone: the session was deleted under a request that then died.
  const leaseOnly = 'lease-only-session';
  await driver.putContent(uploadLeasePath('app', leaseOnly, 3), Buffer.from('{}'));
  // A healthy session nobody touched for a while: only its expiry may remove it.
  const resumable = await open();
  return { repository, dataOnly, stateOnly, leaseOnly, resumable };
}

describe('leftovers of failed writes and killed uploads', () => {
  it('are removed once nothing touched them for a minute, without waiting for the 24 h expiry', async () => {
    const clock = new TestClock();
    const driver = new MemoryDriver({ clock: clock.read });
    const namespace = testNamespace({ driver, clock: clock.read });
    const left = await leaveBehind(namespace, driver);
    expect(await namespace.reclaimLeftovers()).toEqual({ sessions: 0, temporaryFiles: 0 }); // too young

    clock.advance(2 * MINUTE);
    expect((await namespace.reclaimLeftovers({ dryRun: true })).sessions).toBe(3);
    expect((await namespace.reclaimLeftovers()).sessions).toBe(3);
    const ids = (await listOrEmpty(driver, uploadsPath('app'))).map((entry) => entry.split('/').at(-1));
    expect(ids).toEqual([left.resumable]);
    expect(await driver.pendingWriters('/v1')).toEqual([
      expect.objectContaining({ path: uploadDataPath('app', left.resumable) }),
    ]);
    // The healthy one still resumes.
    const resumed = await left.repository.blobs.resumeUpload(left.resumable);
    await resumed.write(Buffer.from(' and more'), { expectedOffset: resumed.size });
    await resumed.commit(sha256('some bytes and more'));
  });

  it('never touch a session a request is writing, however old it looks', async () => {
    const clock = new TestClock();
    const driver = new MemoryDriver({ clock: clock.read });
    const namespace = testNamespace({ driver, clock: clock.read });
    const repository = await namespace.repository('app');
    const created = (await repository.blobs.createUpload()) as BlobWriter;
    await created.close();
    const writing = await repository.blobs.resumeUpload(created.id);
    const { PassThrough } = await import('node:stream');
    const body = new PassThrough();
    const pending = writing.write(body, { expectedOffset: 0 });
    body.write(Buffer.from('in flight'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(10 * MINUTE);
    await driver.delete(uploadStatePath('app', created.id)); // looks abandoned now
    expect((await namespace.reclaimLeftovers()).sessions).toBe(0);
    body.end();
    await pending;
    await writing.close();
  });

  it('are counted and removed by GC', async () => {
    const clock = new TestClock();
    const driver = new MemoryDriver({ clock: clock.read });
    const namespace = testNamespace({ driver, clock: clock.read });
    await leaveBehind(namespace, driver);
    clock.advance(2 * MINUTE);
    const report = await garbageCollect(namespace);
    expect(report.leftoverSessions).toBe(3);
    expect(report.uploadsPurged).toBe(0);
  });

  it('on the filesystem: stale temporary files and pending data of sessions that are gone go too', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'glci-leftovers-'));
    directories.push(root);
    const driver = new FsDriver({ root, fsync: false });
    const namespace = testNamespace({ driver });
    const repository = await namespace.repository('app');
    const writer = (await repository.blobs.createUpload()) as BlobWriter;
    await writer.write(Buffer.from('bytes of a session whose directory is gone'));
    await writer.close();
    await driver.delete(uploadStatePath('app', writer.id)); // the session directory is now empty
    const old = new Date(Date.now() - 20 * MINUTE);
    await utimes(path.join(root, '~pending', uploadDataPath('app', writer.id)), old, old);
    // A putContent a killed process left half written, and one still being written.
    await mkdir(path.join(root, '~tmp'), { recursive: true });
    await writeFile(path.join(root, '~tmp', 'killed-put'), 'half');
    await utimes(path.join(root, '~tmp', 'killed-put'), old, old);
    await writeFile(path.join(root, '~tmp', 'in-progress'), 'fresh');

    expect(await namespace.reclaimLeftovers()).toEqual({ sessions: 1, temporaryFiles: 1 });
    expect(await readdir(path.join(root, '~tmp'))).toEqual(['in-progress']);
    expect(await driver.pendingWriters('/v1')).toEqual([]);
  });
});
