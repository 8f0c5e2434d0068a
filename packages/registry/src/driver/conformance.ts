import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeLeaseClauses } from './conformance-leases.js';
import { describeTreeClauses } from './conformance-tree.js';
import { InvalidOffsetError, PathNotFoundError, type StorageDriver } from './storage-driver.js';

export interface StorageDriverSuiteOptions {
  /** Size of the streamed large-file test (default 64 MiB). */
  readonly largeFileBytes?: number;
  /** Called after each test, after the test's files were deleted (default: `driver.close?.()`). */
  readonly teardown?: (driver: StorageDriver) => Promise<void> | void;
  /** Per-test timeout for the slow cases (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * The storage-driver conformance suite: one `describe` block with a test for every clause of the
 * `StorageDriver` contract. A driver passes it with one call in its test file:
 *
 * ```ts
 * import { describeStorageDriver } from '@glci/registry/conformance';
 * describeStorageDriver('my-driver', () => new MyDriver({ ... }));
 * ```
 *
 * `factory` runs before each test. Every test works under its own random top-level directory and
 * deletes it afterwards, so the driver may point at a shared bucket or directory. Nothing here
 * assumes a filesystem: no directory creation, no rename semantics beyond the contract.
 */
export function describeStorageDriver(
  name: string,
  factory: () => StorageDriver | Promise<StorageDriver>,
  options: StorageDriverSuiteOptions = {},
): void {
  const largeFileBytes = options.largeFileBytes ?? 64 * 1024 * 1024;
  const slow = options.timeoutMs ?? 120_000;

  describe(`StorageDriver conformance: ${name}`, () => {
    let driver: StorageDriver;
    let root: string;
    const at = (relative: string) => `${root}${relative}`;

    beforeEach(async () => {
      driver = await factory();
      root = `/conformance-${randomUUID()}`;
    });

    afterEach(async () => {
      await driver.delete(root);
      if (options.teardown) await options.teardown(driver);
      else await driver.close?.();
    });

    it('has a name', () => {
      expect(typeof driver.name).toBe('string');
      expect(driver.name.length).toBeGreaterThan(0);
    });

    describe('getContent / putContent', () => {
      it('round-trips bytes, including every byte value', async () => {
        const content = Uint8Array.from({ length: 256 }, (_, index) => index);
        await driver.putContent(at('/a/b/file'), content);
        expect(bytes(await driver.getContent(at('/a/b/file')))).toEqual(bytes(content));
      });

      it('stores an empty file', async () => {
        await driver.putContent(at('/empty'), new Uint8Array());
        expect((await driver.getContent(at('/empty'))).length).toBe(0);
        const info = await driver.stat(at('/empty'));
        expect(info.size).toBe(0);
        expect(info.isDirectory).toBe(false);
      });

      it('replaces existing content whole', async () => {
        await driver.putContent(at('/file'), text('a longer first version'));
        await driver.putContent(at('/file'), text('short'));
        expect(decode(await driver.getContent(at('/file')))).toBe('short');
      });

      it('keeps a copy: mutating the caller buffer afterwards changes nothing', async () => {
        const content = text('original');
        await driver.putContent(at('/file'), content);
        content.fill(0);
        expect(decode(await driver.getContent(at('/file')))).toBe('original');
      });

      it('is atomic under concurrent puts to one path: the result is one whole version', async () => {
        const versions = Array.from({ length: 8 }, (_, index) => new Uint8Array(64 * 1024).fill(index + 1));
        await Promise.all(versions.map((version) => driver.putContent(at('/race'), version)));
        const result = await driver.getContent(at('/race'));
        expect(result.length).toBe(64 * 1024);
        expect(new Set(result).size).toBe(1);
      });

      it('publishes whole versions atomically with the durable: false hint too', async () => {
        const versions = Array.from({ length: 8 }, (_, index) => new Uint8Array(16 * 1024).fill(index + 1));
        await Promise.all(
          versions.map((version) => driver.putContent(at('/hint'), version, { durable: false })),
        );
        const result = await driver.getContent(at('/hint'));
        expect(result.length).toBe(16 * 1024);
        expect(new Set(result).size).toBe(1);
      });

      it('rejects a missing path with PathNotFoundError', async () => {
        await expect(driver.getContent(at('/missing'))).rejects.toBeInstanceOf(PathNotFoundError);
      });

      it('distinguishes paths sharing a prefix', async () => {
        await driver.putContent(at('/a/b'), text('b'));
        await driver.putContent(at('/a/bc'), text('bc'));
        expect(decode(await driver.getContent(at('/a/b')))).toBe('b');
        expect(decode(await driver.getContent(at('/a/bc')))).toBe('bc');
      });
    });

    describe('reader', () => {
      const content = text('0123456789abcdefghij');

      it('streams the whole file', async () => {
        await driver.putContent(at('/file'), content);
        expect(decode(await readAll(await driver.reader(at('/file'))))).toBe('0123456789abcdefghij');
      });

      it('starts at an offset and stops after a length', async () => {
        await driver.putContent(at('/file'), content);
        expect(decode(await readAll(await driver.reader(at('/file'), { offset: 5 })))).toBe(
          '56789abcdefghij',
        );
        expect(decode(await readAll(await driver.reader(at('/file'), { offset: 5, length: 3 })))).toBe('567');
        expect(decode(await readAll(await driver.reader(at('/file'), { length: 2 })))).toBe('01');
      });

      it('clamps a length past the end to the end', async () => {
        await driver.putContent(at('/file'), content);
        expect(decode(await readAll(await driver.reader(at('/file'), { offset: 18, length: 100 })))).toBe(
          'ij',
        );
      });

      it('returns an empty stream at offset = size and for an empty file', async () => {
        await driver.putContent(at('/file'), content);
        expect((await readAll(await driver.reader(at('/file'), { offset: content.length }))).length).toBe(0);
        await driver.putContent(at('/empty'), new Uint8Array());
        expect((await readAll(await driver.reader(at('/empty')))).length).toBe(0);
      });

      it('rejects an offset past the end or negative with InvalidOffsetError', async () => {
        await driver.putContent(at('/file'), content);
        await expect(driver.reader(at('/file'), { offset: content.length + 1 })).rejects.toBeInstanceOf(
          InvalidOffsetError,
        );
        await expect(driver.reader(at('/file'), { offset: -1 })).rejects.toBeInstanceOf(InvalidOffsetError);
      });

      it('rejects a missing file with PathNotFoundError', async () => {
        await expect(driver.reader(at('/missing'))).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe('writer', () => {
      it('publishes on commit, and not before', async () => {
        const writer = await driver.writer(at('/dir/file'));
        expect(writer.path).toBe(at('/dir/file'));
        await writer.write(text('hello '));
        await writer.write(text('world'));
        expect(writer.size).toBe(11);
        await expect(driver.stat(at('/dir/file'))).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.getContent(at('/dir/file'))).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.reader(at('/dir/file'))).rejects.toBeInstanceOf(PathNotFoundError);
        await writer.commit();
        expect(decode(await driver.getContent(at('/dir/file')))).toBe('hello world');
        expect((await driver.stat(at('/dir/file'))).size).toBe(11);
      });

      it('keeps closed, uncommitted content invisible, also to list', async () => {
        await driver.putContent(at('/dir/other'), text('x'));
        const writer = await driver.writer(at('/dir/file'));
        await writer.write(text('secret'));
        await writer.close();
        expect(await driver.list(at('/dir'))).toEqual([at('/dir/other')]);
        await expect(driver.stat(at('/dir/file'))).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.getContent(at('/dir/file'))).rejects.toBeInstanceOf(PathNotFoundError);
        const resumed = await driver.writer(at('/dir/file'), { append: true });
        await resumed.cancel();
      });

      it('keeps the old content visible until a replacing writer commits', async () => {
        await driver.putContent(at('/file'), text('old'));
        const writer = await driver.writer(at('/file'));
        await writer.write(text('new content'));
        expect(decode(await driver.getContent(at('/file')))).toBe('old');
        await writer.commit();
        expect(decode(await driver.getContent(at('/file')))).toBe('new content');
      });

      it('resumes a closed writer with append, across writer instances', async () => {
        const first = await driver.writer(at('/upload'));
        await first.write(text('part one, '));
        await first.close();
        const second = await driver.writer(at('/upload'), { append: true });
        expect(second.size).toBe(10);
        await second.write(text('part two, '));
        await second.close();
        const third = await driver.writer(at('/upload'), { append: true });
        expect(third.size).toBe(20);
        await third.write(text('done'));
        expect(third.size).toBe(24);
        await third.commit();
        expect(decode(await driver.getContent(at('/upload')))).toBe('part one, part two, done');
      });

      it('resumes a writer that was closed before writing anything', async () => {
        const first = await driver.writer(at('/upload'));
        await first.close();
        const second = await driver.writer(at('/upload'), { append: true });
        expect(second.size).toBe(0);
        await second.write(text('x'));
        await second.commit();
        expect(decode(await driver.getContent(at('/upload')))).toBe('x');
      });

      it('rejects append when there is no pending writer, even over a committed file', async () => {
        await expect(driver.writer(at('/nothing'), { append: true })).rejects.toBeInstanceOf(
          PathNotFoundError,
        );
        await driver.putContent(at('/committed'), text('x'));
        await expect(driver.writer(at('/committed'), { append: true })).rejects.toBeInstanceOf(
          PathNotFoundError,
        );
      });

      it('starts empty without append, discarding pending content', async () => {
        const first = await driver.writer(at('/upload'));
        await first.write(text('stale'));
        await first.close();
        const fresh = await driver.writer(at('/upload'));
        expect(fresh.size).toBe(0);
        await fresh.write(text('fresh'));
        await fresh.commit();
        expect(decode(await driver.getContent(at('/upload')))).toBe('fresh');
      });

      it('commits an empty file', async () => {
        const writer = await driver.writer(at('/empty'));
        await writer.commit();
        expect((await driver.getContent(at('/empty'))).length).toBe(0);
      });

      it('discards everything on cancel, also after a close', async () => {
        const writer = await driver.writer(at('/dir/file'));
        await writer.write(text('gone'));
        await writer.cancel();
        await expect(driver.stat(at('/dir/file'))).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.list(at('/dir'))).rejects.toBeInstanceOf(PathNotFoundError);
        const closed = await driver.writer(at('/dir/file'));
        await closed.write(text('gone too'));
        await closed.close();
        const resumed = await driver.writer(at('/dir/file'), { append: true });
        await resumed.cancel();
        await expect(driver.writer(at('/dir/file'), { append: true })).rejects.toBeInstanceOf(
          PathNotFoundError,
        );
      });

      it('is not affected when the caller reuses its buffer', async () => {
        const writer = await driver.writer(at('/file'));
        const buffer = new Uint8Array(4).fill(1);
        await writer.write(buffer);
        buffer.fill(2);
        await writer.write(buffer);
        await writer.commit();
        expect(bytes(await driver.getContent(at('/file')))).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
      });

      it(
        'streams a large file in chunks, resumed halfway, and reads it back intact',
        async () => {
          const expected = createHash('sha256');
          const half = Math.floor(largeFileBytes / 2);
          const first = await driver.writer(at('/large'));
          await writeChunks(first, 0, half, expected);
          await first.close();
          const second = await driver.writer(at('/large'), { append: true });
          expect(second.size).toBe(half);
          await writeChunks(second, half, largeFileBytes, expected);
          expect(second.size).toBe(largeFileBytes);
          await second.commit();
          await verifyLarge(expected.digest('hex'));
        },
        slow,
      );

      async function writeChunks(
        writer: { write(chunk: Uint8Array): Promise<void> },
        from: number,
        to: number,
        hash: ReturnType<typeof createHash>,
      ): Promise<void> {
        for (let position = from, index = 0; position < to; index += 1) {
          // Uneven sizes, as HTTP bodies arrive.
          const size = Math.min(1024 * 1024 + (index % 7) * 1000, to - position);
          const piece = pattern(size, position);
          hash.update(piece);
          await writer.write(piece);
          position += size;
        }
      }

      async function verifyLarge(expectedHex: string): Promise<void> {
        expect((await driver.stat(at('/large'))).size).toBe(largeFileBytes);
        const actual = createHash('sha256');
        let total = 0;
        for await (const piece of await driver.reader(at('/large'))) {
          actual.update(piece as Uint8Array);
          total += (piece as Uint8Array).length;
        }
        expect(total).toBe(largeFileBytes);
        expect(actual.digest('hex')).toBe(expectedHex);
        const offset = Math.floor(largeFileBytes / 2) + 3;
        const tail = await readAll(await driver.reader(at('/large'), { offset, length: 16 }));
        expect(tail.length).toBe(Math.min(16, largeFileBytes - offset));
      }
    });

    describeTreeClauses(() => ({ driver, at }));

    describeLeaseClauses(() => ({ driver, at }));

    describe('redirectUrl (optional)', () => {
      it('returns a string or undefined when offered', async () => {
        if (!driver.redirectUrl) return;
        await driver.putContent(at('/file'), text('x'));
        const url = await driver.redirectUrl(at('/file'), { method: 'GET', expiresInSeconds: 60 });
        expect(url === undefined || typeof url === 'string').toBe(true);
      });
    });
  });
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function decode(value: Uint8Array): string {
  return new TextDecoder().decode(value);
}

function bytes(value: Uint8Array): number[] {
  return [...value];
}

function pattern(size: number, seed: number): Uint8Array {
  const piece = new Uint8Array(size);
  for (let index = 0; index < size; index += 4096) piece[index] = (index / 4096 + seed) & 0xff;
  piece.fill(seed & 0xff, 0, Math.min(size, 16));
  return piece;
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks);
}
