import { mkdir, mkdtemp, open, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeStorageDriver } from './conformance.js';
import { FsDriver } from './fs-driver.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'glci-fs-driver-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeStorageDriver('FsDriver', () => new FsDriver({ root }));
describeStorageDriver(
  'FsDriver without synchronous small reads',
  () => new FsDriver({ root, syncReadLimit: 0 }),
  {
    largeFileBytes: 8 * 1024 * 1024,
  },
);

describe('FsDriver specifics', () => {
  let dir: string;
  let driver: FsDriver;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'glci-fs-specific-'));
    driver = new FsDriver({ root: dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function tree(): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true });
    return entries.map((entry) => entry.split(path.sep).join('/')).sort();
  }

  it('stores a driver path at the same path under its root', async () => {
    await driver.putContent('/v1/blobs/data', Buffer.from('x'));
    expect(await tree()).toContain('v1/blobs/data');
  });

  it('leaves no empty directories behind after delete, move and cancel', async () => {
    await driver.putContent('/a/b/c/file', Buffer.from('x'));
    await driver.move('/a/b/c/file', '/d/e/file');
    await driver.delete('/d/e/file');
    const writer = await driver.writer('/p/q/r');
    await writer.write(Buffer.from('pending'));
    await writer.cancel();
    const closed = await driver.writer('/s/t/u');
    await closed.close();
    await driver.delete('/s');
    expect((await tree()).filter((entry) => !entry.startsWith('~tmp'))).toEqual(['~pending']);
  });

  it('keeps pending writes and temporary files out of sight', async () => {
    const writer = await driver.writer('/dir/file');
    await writer.write(Buffer.from('pending'));
    await writer.close();
    await driver.putContent('/dir/other', Buffer.from('x'));
    expect(await driver.list('/dir')).toEqual(['/dir/other']);
    expect(await tree()).toEqual(expect.arrayContaining(['~pending/dir/file', 'dir/other']));
  });

  it('purges only stale temporary files', async () => {
    await mkdir(path.join(dir, '~tmp'), { recursive: true });
    await writeFile(path.join(dir, '~tmp', 'old'), 'crashed put');
    await writeFile(path.join(dir, '~tmp', 'new'), 'put in progress');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(path.join(dir, '~tmp', 'old'), hourAgo, hourAgo);
    expect(await driver.reclaimTemporaryFiles(new Date(Date.now() - 60_000))).toBe(1);
    expect(await readdir(path.join(dir, '~tmp'))).toEqual(['new']);
  });

  it('adopts a staging file by rename: published atomically, open handles still valid', async () => {
    const staging = await driver.localFiles.stagingPath();
    expect(path.dirname(staging)).toBe(path.join(dir, '~tmp'));
    await writeFile(staging, 'downloaded once');
    const handle = await open(staging, 'r');
    await driver.localFiles.adopt(staging, '/blobs/a/data');
    expect(Buffer.from(await driver.getContent('/blobs/a/data')).toString()).toBe('downloaded once');
    expect((await handle.readFile()).toString()).toBe('downloaded once');
    await handle.close();
    expect(await readdir(path.join(dir, '~tmp'))).toEqual([]);
    // Replaces what is there, like a commit.
    const again = await driver.localFiles.stagingPath();
    expect(again).not.toBe(staging);
    await writeFile(again, 'second');
    await driver.localFiles.adopt(again, '/blobs/a/data');
    expect(Buffer.from(await driver.getContent('/blobs/a/data')).toString()).toBe('second');
  });

  it('refuses to adopt a file outside its staging area, or at an invalid path', async () => {
    const outside = path.join(dir, 'outside');
    await writeFile(outside, 'not staged');
    await expect(driver.localFiles.adopt(outside, '/blobs/x')).rejects.toThrow(/not a staging file/);
    await expect(driver.localFiles.adopt(`${dir}/~tmp/../outside`, '/blobs/x')).rejects.toThrow(
      /not a staging file/,
    );
    const staging = await driver.localFiles.stagingPath();
    await writeFile(staging, 'x');
    await expect(driver.localFiles.adopt(staging, '/blobs/../x')).rejects.toThrow(/invalid path/);
    expect(await tree()).toEqual(['outside', '~tmp', `~tmp/${path.basename(staging)}`]);
  });

  it('reads with a large buffer (fewer, bigger chunks than the 64 KiB default)', async () => {
    await driver.putContent('/big', Buffer.alloc(4 * 1024 * 1024, 7));
    const sizes: number[] = [];
    for await (const chunk of await driver.reader('/big')) sizes.push((chunk as Buffer).length);
    expect(Math.max(...sizes)).toBe(1024 * 1024);
  });

  it('stamps the publish time on commit, whenever the bytes arrived', async () => {
    const writer = await driver.writer('/file');
    await writer.write(Buffer.from('early bytes'));
    await writer.close();
    const pending = path.join(dir, '~pending', 'file');
    const dayAgo = new Date(Date.now() - 86_400_000);
    await utimes(pending, dayAgo, dayAgo);
    const resumed = await driver.writer('/file', { append: true });
    await resumed.commit();
    expect(Date.now() - (await driver.stat('/file')).modifiedAt.getTime()).toBeLessThan(3_600_000);
  });
});
