import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsArtifactStore } from './artifact-store.js';
import { PayloadTooLargeError } from './errors.js';
import { manualClock } from './test-support/harness.js';

describe('FsArtifactStore', () => {
  let root: string;
  const clock = manualClock();
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'glci-artifacts-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const meta = { type: 'archive', format: 'zip', filename: 'a.zip', expireIn: undefined };

  it('streams to disk, replaces per type and reads back', async () => {
    const store = new FsArtifactStore({ root, clock });
    await store.save(1, meta, Readable.from([Buffer.from('one')]), { maxBytes: 10 });
    const record = await store.save(1, meta, Readable.from([Buffer.from('two!')]), { maxBytes: 10 });
    await store.save(1, { ...meta, type: 'junit' }, Readable.from([Buffer.from('x')]), { maxBytes: 10 });
    expect(record.size).toBe(4);
    expect(await text(store.open(store.find(1)!))).toBe('two!');
    expect(store.list(1).map((r) => r.type)).toEqual(['archive', 'junit']);
    expect(store.find(2)).toBeUndefined();
  });

  it('stops at the cap and leaves no temporary file', async () => {
    const store = new FsArtifactStore({ root, clock });
    const source = Readable.from([Buffer.alloc(6), Buffer.alloc(6)]);
    await expect(store.save(1, meta, source, { maxBytes: 10 })).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
    expect(store.find(1)).toBeUndefined();
  });

  it('forgets and deletes expired artifacts', async () => {
    const store = new FsArtifactStore({ root, clock });
    await store.save(1, { ...meta, expireIn: 60 }, Readable.from([Buffer.from('x')]), { maxBytes: 10 });
    clock.advance(59_000);
    expect(store.find(1)).toBeDefined();
    clock.advance(1000);
    expect(store.find(1)).toBeUndefined();
    expect(store.list(1)).toEqual([]);
  });
});
