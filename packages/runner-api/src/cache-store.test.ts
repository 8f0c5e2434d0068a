import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsCacheStore, validateCacheKey } from './cache-store.js';
import { BadRequestError, InsufficientStorageError } from './errors.js';
import { manualClock } from './test-support/harness.js';

describe('validateCacheKey', () => {
  it('allows runner object names and refuses traversal', () => {
    expect(validateCacheKey('runner/abc/project/1/key-non_protected')).toBeTruthy();
    for (const key of ['', '../x', 'a/../b', 'a//b', '/a', 'a/', 'a\\b', 'a\u0000b', 'x'.repeat(1025)]) {
      expect(() => validateCacheKey(key), key).toThrow(BadRequestError);
    }
  });
});

describe('FsCacheStore', () => {
  let root: string;
  const clock = manualClock();
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'glci-cache-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const store = () => new FsCacheStore({ root, clock, maxSize: 100, ttlMs: 1000 });
  const body = (text: string) => Readable.from([Buffer.from(text)]);

  it('stores, serves and survives a restart', async () => {
    const first = store();
    const entry = await first.put('k', body('hello'), { metadata: { cachekey: 'k' } });
    expect(entry).toMatchObject({
      size: 5,
      etag: '"5d41402abc4b2a76b9719d911017c592"',
      metadata: { cachekey: 'k' },
    });
    const second = store();
    const found = await second.open('k');
    expect(await text(found!.stream)).toBe('hello');
    expect(second.usage()).toBe(5);
  });

  it('ignores torn metadata files', async () => {
    const first = store();
    await first.put('k', body('hello'));
    await writeFile(path.join(root, 'objects', 'junk.json'), '{not json');
    await writeFile(path.join(root, 'objects', 'other.json'), JSON.stringify({ key: 'k', size: 1 }));
    expect((await store().list()).map((e) => e.key)).toEqual(['k']);
  });

  it('reserves room for concurrent uploads', async () => {
    const cache = store();
    const results = await Promise.allSettled([
      cache.put('a', body('x'.repeat(60)), { contentLength: 60 }),
      cache.put('b', body('y'.repeat(60)), { contentLength: 60 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(InsufficientStorageError);
    expect(cache.usage()).toBe(60);
  });

  it('refuses a body shorter than its Content-Length', async () => {
    await expect(store().put('k', body('abc'), { contentLength: 5 })).rejects.toThrow(/Content-Length/);
  });

  it('prunes by TTL and cleans everything', async () => {
    const cache = store();
    await cache.put('old', body('1'));
    clock.advance(600);
    await cache.put('new', body('2'));
    clock.advance(600);
    expect(await cache.head('old')).toBeUndefined();
    expect(await cache.head('new')).toBeDefined();
    expect(await cache.prune()).toBe(1);
    expect(await cache.clean()).toEqual({ entries: 1, bytes: 1 });
    expect(await cache.list()).toEqual([]);
  });
});
