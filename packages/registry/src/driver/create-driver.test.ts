import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStorageDriver } from './create-driver.js';
import { FsDriver } from './fs-driver.js';
import { MemoryDriver } from './memory-driver.js';

describe('createStorageDriver', () => {
  it('creates the in-memory driver', () => {
    expect(createStorageDriver({ driver: 'memory' })).toBeInstanceOf(MemoryDriver);
  });

  it('creates the filesystem driver at the configured root', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'glci-create-driver-'));
    try {
      const driver = createStorageDriver({ driver: 'filesystem', root });
      expect(driver).toBeInstanceOf(FsDriver);
      expect((driver as FsDriver).root).toBe(root);
      await driver.putContent('/x', new Uint8Array([1]));
      expect([...(await driver.getContent('/x'))]).toEqual([1]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses an unknown driver', () => {
    expect(() => createStorageDriver({ driver: 'floppy' } as never)).toThrow(/floppy/);
  });
});
