import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { FsDriver } from '../../driver/fs-driver.js';
import { MemoryDriver } from '../../driver/memory-driver.js';
import type { StorageDriver } from '../../driver/storage-driver.js';
import { type HashingStrategy, nodeHashing } from '../../store/hasher.js';

export type StorageKind = 'memory' | 'filesystem' | 's3';

/**
 * The storage a parameterised HTTP suite runs its registries on (see `http-suite.ts`). Every
 * `create()` is fresh and empty, so suites stay independent of each other and of test order.
 */
export interface TestStorage {
  readonly kind: StorageKind;
  /** How uploads are hashed on this storage, as `glci registry serve` chooses it. */
  readonly hashing: HashingStrategy;
  /** A driver on new, empty storage of its own. Usable inside hooks and tests only. */
  create(): Promise<StorageDriver>;
  /**
   * Another driver on the same storage as `driver` (one made by `create`), as a second registry
   * node sharing the backend would hold: a new instance, except for memory, whose files live in
   * the instance.
   */
  sibling(driver: StorageDriver): StorageDriver;
}

/** Fresh MemoryDriver instances: the default, fastest storage. */
export function memoryStorage(): TestStorage {
  return {
    kind: 'memory',
    hashing: nodeHashing,
    create: async () => new MemoryDriver(),
    sibling: (driver) => driver,
  };
}

/**
 * FsDriver instances, each on its own directory under one temporary root. Registers the
 * `beforeAll` / `afterAll` hooks that make and remove the root, so call it at a file's top level.
 */
export function useFsStorage(): TestStorage {
  let root: string | undefined;
  let count = 0;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'glci-http-fs-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  return {
    kind: 'filesystem',
    hashing: nodeHashing,
    async create() {
      if (!root) throw new Error('useFsStorage(): create() was called outside a hook or test');
      count += 1;
      return new FsDriver({ root: path.join(root, `registry-${count}`) });
    },
    sibling: (driver) => new FsDriver({ root: (driver as FsDriver).root }),
  };
}
