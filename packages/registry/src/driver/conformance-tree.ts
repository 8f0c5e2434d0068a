import { beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidPathError,
  PathNotFoundError,
  type StorageDriver,
  StorageDriverError,
} from './storage-driver.js';

/**
 * The contract's clauses about the tree: `stat`, `list`, `move`, `delete`, and path validation on
 * every method. Part of `describeStorageDriver`, run inside its per-test directory (`at`).
 */
export function describeTreeClauses(context: () => { driver: StorageDriver; at: (path: string) => string }) {
  let driver: StorageDriver;
  let at: (path: string) => string;
  beforeEach(() => {
    ({ driver, at } = context());
  });

  describe('stat', () => {
    it('describes files and directories', async () => {
      const before = Date.now();
      await driver.putContent(at('/dir/sub/file'), text('12345'));
      const file = await driver.stat(at('/dir/sub/file'));
      expect(file).toMatchObject({ path: at('/dir/sub/file'), size: 5, isDirectory: false });
      expect(file.modifiedAt).toBeInstanceOf(Date);
      // Clocks of remote backends may drift a little from ours.
      expect(Math.abs(file.modifiedAt.getTime() - before)).toBeLessThan(5 * 60_000);
      const directory = await driver.stat(at('/dir'));
      expect(directory.isDirectory).toBe(true);
      expect(directory.path).toBe(at('/dir'));
    });

    it('advances modifiedAt when content is replaced', async () => {
      await driver.putContent(at('/file'), text('1'));
      const first = await driver.stat(at('/file'));
      await sleep(1100);
      await driver.putContent(at('/file'), text('2'));
      const second = await driver.stat(at('/file'));
      expect(second.modifiedAt.getTime()).toBeGreaterThan(first.modifiedAt.getTime());
    });

    it('rejects a missing path with PathNotFoundError', async () => {
      await expect(driver.stat(at('/missing'))).rejects.toBeInstanceOf(PathNotFoundError);
    });
  });

  describe('list', () => {
    it('returns direct children as full paths, files and directories, in byte order', async () => {
      for (const name of ['b', 'a', 'B', '_x', '-y', '.z', 'a.b', '0', 'aa']) {
        await driver.putContent(at(`/dir/${name}`), text(name));
      }
      await driver.putContent(at('/dir/sub/deep/file'), text('deep'));
      const expected = ['-y', '.z', '0', 'B', '_x', 'a', 'a.b', 'aa', 'b', 'sub'].map((n) => at(`/dir/${n}`));
      expect(await driver.list(at('/dir'))).toEqual(expected);
      expect(await driver.list(at('/dir/sub'))).toEqual([at('/dir/sub/deep')]);
    });

    it('pages with startAfter and limit', async () => {
      const names = Array.from({ length: 25 }, (_, index) => `tag-${String(index).padStart(2, '0')}`);
      for (const name of names) await driver.putContent(at(`/tags/${name}/link`), text(name));
      const pages: string[][] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await driver.list(at('/tags'), { limit: 10, ...(startAfter ? { startAfter } : {}) });
        if (page.length === 0) break;
        pages.push(page);
        startAfter = page[page.length - 1];
      }
      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(names.map((name) => at(`/tags/${name}`)));
      expect(await driver.list(at('/tags'), { startAfter: at('/tags/tag-1') })).toHaveLength(15);
      expect(await driver.list(at('/tags'), { startAfter: at('/tags/tag-24') })).toEqual([]);
      expect(await driver.list(at('/tags'), { limit: 0 })).toEqual([]);
    });

    it('rejects a missing or emptied directory with PathNotFoundError', async () => {
      await expect(driver.list(at('/missing'))).rejects.toBeInstanceOf(PathNotFoundError);
      await driver.putContent(at('/dir/sub/file'), text('x'));
      await driver.delete(at('/dir/sub/file'));
      await expect(driver.list(at('/dir/sub'))).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(driver.list(at('/dir'))).rejects.toBeInstanceOf(PathNotFoundError);
    });
  });

  describe('move', () => {
    it('moves a file, creating parents, and removes the source', async () => {
      await driver.putContent(at('/from/file'), text('content'));
      await driver.move(at('/from/file'), at('/to/deep/file'));
      expect(decode(await driver.getContent(at('/to/deep/file')))).toBe('content');
      await expect(driver.getContent(at('/from/file'))).rejects.toBeInstanceOf(PathNotFoundError);
    });

    it('replaces the destination', async () => {
      await driver.putContent(at('/source'), text('new'));
      await driver.putContent(at('/destination'), text('old and longer'));
      await driver.move(at('/source'), at('/destination'));
      expect(decode(await driver.getContent(at('/destination')))).toBe('new');
    });

    it('rejects a missing source with PathNotFoundError and leaves the destination alone', async () => {
      await driver.putContent(at('/destination'), text('kept'));
      await expect(driver.move(at('/missing'), at('/destination'))).rejects.toBeInstanceOf(PathNotFoundError);
      expect(decode(await driver.getContent(at('/destination')))).toBe('kept');
    });

    it('publishes a committed writer moved elsewhere (upload → content-addressed path)', async () => {
      const writer = await driver.writer(at('/uploads/1/data'));
      await writer.write(text('blob'));
      await writer.commit();
      await driver.move(at('/uploads/1/data'), at('/blobs/ab/data'));
      expect(decode(await driver.getContent(at('/blobs/ab/data')))).toBe('blob');
    });
  });

  describe('delete', () => {
    it('deletes a file', async () => {
      await driver.putContent(at('/file'), text('x'));
      await driver.delete(at('/file'));
      await expect(driver.stat(at('/file'))).rejects.toBeInstanceOf(PathNotFoundError);
    });

    it('deletes a directory recursively, sparing siblings that share a prefix', async () => {
      await driver.putContent(at('/a/b/c'), text('1'));
      await driver.putContent(at('/a/b/d/e'), text('2'));
      await driver.putContent(at('/a/bc'), text('3'));
      await driver.putContent(at('/a/b-x/y'), text('4'));
      await driver.delete(at('/a/b'));
      await expect(driver.stat(at('/a/b'))).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(driver.getContent(at('/a/b/d/e'))).rejects.toBeInstanceOf(PathNotFoundError);
      expect(await driver.list(at('/a'))).toEqual([at('/a/b-x'), at('/a/bc')]);
    });

    it('discards pending writers under a deleted directory', async () => {
      const writer = await driver.writer(at('/uploads/1/data'));
      await writer.write(text('partial'));
      await writer.close();
      await driver.delete(at('/uploads/1'));
      await expect(driver.writer(at('/uploads/1/data'), { append: true })).rejects.toBeInstanceOf(
        PathNotFoundError,
      );
    });

    it('is a no-op for a missing path', async () => {
      await driver.delete(at('/missing/deeper'));
    });
  });

  describe('path validation', () => {
    const invalid = [
      '',
      'relative/path',
      '/',
      '//',
      '/a/',
      '/a//b',
      '/a/../b',
      '/..',
      '/a/.',
      '/./a',
      '/a b',
      '/a/%2e%2e',
      '/a%2Fb',
      '/a\\b',
      '/a/b\u0000c',
      '/caf\u00e9',
      '/a/~tmp',
      '/a:b',
      `/${'x'.repeat(10)}/\n`,
    ];

    it.each(invalid)('rejects %j everywhere with InvalidPathError', async (path) => {
      const good = at('/good');
      await driver.putContent(good, text('x'));
      const calls: Array<() => Promise<unknown>> = [
        () => driver.getContent(path),
        () => driver.putContent(path, text('x')),
        () => driver.reader(path),
        () => driver.writer(path),
        () => driver.writer(path, { append: true }),
        () => driver.stat(path),
        () => driver.list(path),
        () => driver.move(path, good),
        () => driver.move(good, path),
        () => driver.delete(path),
      ];
      for (const call of calls) {
        const error = await call().then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        expect(error).toBeInstanceOf(InvalidPathError);
        expect(error).toBeInstanceOf(StorageDriverError);
      }
      expect(decode(await driver.getContent(good))).toBe('x');
    });

    it('accepts every allowed character', async () => {
      const path = at('/AZaz09._-/x.y_z-0');
      await driver.putContent(path, text('ok'));
      expect(decode(await driver.getContent(path))).toBe('ok');
    });
  });
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function decode(value: Uint8Array): string {
  return new TextDecoder().decode(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
