import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createSilentLogger } from '@glci/config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Digest, makeDigest } from '../digest.js';
import { FileRangeStream } from '../driver/file-range-stream.js';
import { LocalBlobCache, LocalCacheError } from './local-blob-cache.js';

const logger = createSilentLogger();
let directory: string;
const caches: LocalBlobCache[] = [];

beforeEach(() => {
  directory = mkdtempSync(path.join(os.tmpdir(), 'glci-local-cache-'));
});
afterEach(async () => {
  for (const cache of caches.splice(0)) await cache.close();
  rmSync(directory, { recursive: true, force: true });
});

async function cacheOf(
  maxBytes = 1024 * 1024,
  options: { queueLimit?: number } = {},
): Promise<LocalBlobCache> {
  const cache = await LocalBlobCache.create({ directory, maxBytes, logger, ...options });
  caches.push(cache);
  return cache;
}

function digestOf(content: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return makeDigest(algorithm, createHash(algorithm).update(content).digest('hex'));
}

const from = (content: Uint8Array) => async () =>
  Readable.from([content.subarray(0, 1000), content.subarray(1000)]);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function filled(cache: LocalBlobCache, content: Uint8Array, algorithm?: 'sha256' | 'sha512') {
  const digest = digestOf(content, algorithm);
  cache.fill(digest, content.length, from(content));
  await cache.settled();
  return digest;
}

function fileOf(digest: Digest): string {
  return path.join(directory, 'blobs', digest.algorithm, digest.hex);
}

/** Overwrites `length` bytes at `offset` of a cached file in place, as a faulty disk or a person might. */
async function corrupt(digest: Digest, offset = 10): Promise<void> {
  const handle = await open(fileOf(digest), 'r+');
  await handle.write(Buffer.from('CORRUPT'), 0, 7, offset);
  await handle.close();
}

describe('LocalBlobCache', () => {
  it('fills a blob in the background, verified, and serves ranges of it from the file', async () => {
    const cache = await cacheOf();
    const content = randomBytes(5000);
    const digest = await filled(cache, content);
    expect(await readFile(fileOf(digest))).toEqual(content);
    const whole = await cache.reader(digest, content.length, { offset: 0, length: content.length });
    expect(whole).toBeInstanceOf(FileRangeStream);
    expect(await readAll(whole as Readable)).toEqual(content);
    const part = await cache.reader(digest, content.length, { offset: 100, length: 50 });
    expect(await readAll(part as Readable)).toEqual(content.subarray(100, 150));
    expect(cache.stats()).toMatchObject({
      entries: 1,
      bytes: 5000,
      hits: 2,
      bytesFromCache: 5050,
      fills: 1,
      filledBytes: 5000,
    });
  });

  it('keeps sha512 blobs under their own algorithm', async () => {
    const cache = await cacheOf();
    const content = randomBytes(3000);
    const digest = await filled(cache, content, 'sha512');
    expect(existsSync(fileOf(digest))).toBe(true);
    expect(await cache.read(digest, content.length)).toEqual(content);
  });

  it('refuses bytes from the store that do not match the digest or the size, and keeps nothing', async () => {
    const cache = await cacheOf();
    const content = randomBytes(4000);
    const digest = digestOf(content);
    cache.fill(digest, content.length, from(randomBytes(4000)));
    await cache.settled();
    cache.fill(digest, content.length, from(content.subarray(0, 3999)));
    await cache.settled();
    expect(cache.stats()).toMatchObject({ entries: 0, fills: 0, fillFailures: 2 });
    expect(readdirSync(path.join(directory, 'tmp'))).toEqual([]);
    expect(await cache.reader(digest, content.length, { offset: 0, length: 4000 })).toBeUndefined();
  });

  it('detects a copy changed on disk, deletes it and answers a miss; a refill serves again', async () => {
    const cache = await cacheOf();
    const content = randomBytes(6000);
    const digest = await filled(cache, content);
    await corrupt(digest);
    expect(await cache.reader(digest, content.length, { offset: 0, length: 6000 })).toBeUndefined();
    expect(cache.stats()).toMatchObject({ verifyFailures: 1, entries: 0, evictions: 1 });
    await cache.settled();
    expect(existsSync(fileOf(digest))).toBe(false);
    await filled(cache, content);
    expect(
      await readAll((await cache.reader(digest, 6000, { offset: 0, length: 6000 })) as Readable),
    ).toEqual(content);
  });

  it('detects a changed copy of a small blob read whole', async () => {
    const cache = await cacheOf();
    const content = randomBytes(2000);
    const digest = await filled(cache, content);
    expect(await cache.read(digest, 2000)).toEqual(content);
    await corrupt(digest);
    expect(await cache.read(digest, 2000)).toBeUndefined();
    expect(cache.stats().verifyFailures).toBe(1);
  });

  it('treats a copy deleted behind its back, or one the store sizes differently, as a miss', async () => {
    const cache = await cacheOf();
    const a = randomBytes(2000);
    const b = randomBytes(2000);
    const [digestA, digestB] = [await filled(cache, a), await filled(cache, b)];
    rmSync(fileOf(digestA));
    expect(await cache.reader(digestA, 2000, { offset: 0, length: 2000 })).toBeUndefined();
    expect(await cache.reader(digestB, 1999, { offset: 0, length: 1999 })).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0, verifyFailures: 0 });
  });

  it('evicts the least recently read blobs to stay under maxBytes, and never caches a larger blob', async () => {
    const cache = await cacheOf(10_000);
    const blobs = [randomBytes(4000), randomBytes(4000), randomBytes(4000)];
    const first = await filled(cache, blobs[0]!);
    const second = await filled(cache, blobs[1]!);
    // Reading the first makes the second the least recently used.
    (await cache.reader(first, 4000, { offset: 0, length: 1 }))?.destroy();
    const third = await filled(cache, blobs[2]!);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 8000, evictions: 1, evictedBytes: 4000 });
    expect(await cache.read(second, 4000)).toBeUndefined();
    expect(await cache.read(first, 4000)).toEqual(blobs[0]);
    expect(await cache.read(third, 4000)).toEqual(blobs[2]);
    const huge = randomBytes(10_001);
    await filled(cache, huge);
    expect(cache.stats()).toMatchObject({ entries: 2, fillsSkipped: 1 });
  });

  it('after a restart knows its blobs, hashes each once before serving it, and catches one changed meanwhile', async () => {
    const before = await cacheOf();
    const good = randomBytes(3000);
    const bad = randomBytes(3000);
    const [goodDigest, badDigest] = [await filled(before, good), await filled(before, bad)];
    await before.close();
    await corrupt(badDigest);
    mkdirSync(path.join(directory, 'tmp'), { recursive: true });
    writeFileSync(path.join(directory, 'tmp', 'fill-left-by-a-crash'), 'partial');
    writeFileSync(path.join(directory, 'tmp', 'not-ours'), 'keep');

    const after = await cacheOf();
    expect(after.stats()).toMatchObject({ entries: 2, bytes: 6000 });
    expect(readdirSync(path.join(directory, 'tmp'))).toEqual(['not-ours']);
    expect(
      await readAll((await after.reader(goodDigest, 3000, { offset: 0, length: 3000 })) as Readable),
    ).toEqual(good);
    expect(await after.reader(badDigest, 3000, { offset: 0, length: 3000 })).toBeUndefined();
    expect(after.stats()).toMatchObject({ verifyFailures: 1, entries: 1 });
  });

  it('trims what it finds at start to maxBytes, oldest first', async () => {
    const before = await cacheOf();
    const blobs = [randomBytes(3000), randomBytes(3000), randomBytes(3000)];
    const digests: Digest[] = [];
    for (const blob of blobs) digests.push(await filled(before, blob));
    await before.close();
    // Filled an hour, a minute and a second ago: the order a restart starts from.
    digests.forEach((digest, index) => {
      const filledAt = new Date(Date.now() - [3_600_000, 60_000, 1000][index]!);
      utimesSync(fileOf(digest), filledAt, filledAt);
    });
    const after = await cacheOf(7000);
    expect(after.stats()).toMatchObject({ entries: 2, bytes: 6000 });
    expect(await after.read(digests[0]!, 3000)).toBeUndefined();
    expect(await after.read(digests[2]!, 3000)).toEqual(blobs[2]);
  });

  it('keeps content it is handed whole, and counts misses the caller reports', async () => {
    const cache = await cacheOf();
    const content = Buffer.from('{"schemaVersion":2}');
    const digest = digestOf(content);
    cache.keep(digest, content);
    await cache.settled();
    cache.recordMiss(123);
    expect(await cache.read(digest, content.length)).toEqual(content);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, bytesFromStore: 123 });
    cache.forget(digest);
    expect(await cache.read(digest, content.length)).toBeUndefined();
  });

  it('close() stops a fill in progress and leaves no partial file', async () => {
    const cache = await cacheOf();
    const content = randomBytes(4000);
    let handOut = () => {};
    const stalled = new Promise<void>((resolve) => {
      handOut = resolve;
    });
    cache.fill(digestOf(content), 4000, async (signal) =>
      Readable.from(
        (async function* () {
          yield content.subarray(0, 100);
          handOut();
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          yield content.subarray(100);
        })(),
      ),
    );
    await stalled;
    await cache.close();
    expect(readdirSync(path.join(directory, 'tmp'))).toEqual([]);
    expect(cache.stats()).toMatchObject({ entries: 0, fillFailures: 0 });
  });

  it('skips fills beyond its queue and counts them', async () => {
    const cache = await cacheOf(1024 * 1024, { queueLimit: 0 });
    // Sources that stall until the cache closes.
    const never = (signal: AbortSignal) =>
      new Promise<Readable>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    cache.fill(digestOf(Buffer.from('a')), 1, never);
    cache.fill(digestOf(Buffer.from('b')), 1, never);
    cache.fill(digestOf(Buffer.from('c')), 1, never);
    expect(cache.stats()).toMatchObject({ fillsPending: 2, fillsSkipped: 1 });
  });

  it('fails with the directory named when it cannot be used', async () => {
    const file = path.join(directory, 'a-file');
    writeFileSync(file, 'x');
    const attempt = LocalBlobCache.create({ directory: file, maxBytes: 1000, logger });
    await expect(attempt).rejects.toBeInstanceOf(LocalCacheError);
    await expect(attempt).rejects.toThrow(`node-local blob cache ${file}: cannot be used (ENOTDIR)`);
  });
});
