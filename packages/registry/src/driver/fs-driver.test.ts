import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
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
