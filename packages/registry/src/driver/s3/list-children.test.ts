import { describe, expect, it } from 'vitest';
import { type ListingPage, type ListingSource, listChildren } from './list-children.js';

/**
 * An in-memory model of `ListObjectsV2` with `Delimiter: '/'` over one directory: keys in byte
 * order, children under a `/` rolled up into one common prefix, `StartAfter`, `MaxKeys` and a
 * continuation token. The real server is exercised by the conformance suite; this model lets the
 * ordering merge be checked on many name sets, and counts the calls it makes.
 */
function fakeS3(keys: readonly string[]): ListingSource & { calls: number; probes: number } {
  const sorted = [...new Set(keys)].sort();
  const source = {
    calls: 0,
    probes: 0,
    async page(options: { startAfter?: string; token?: string; maxKeys: number }): Promise<ListingPage> {
      source.calls += 1;
      const after = options.token ?? options.startAfter;
      const entries: string[] = [];
      let truncated = false;
      for (const key of sorted) {
        if (after !== undefined && key <= after) continue;
        const slash = key.indexOf('/');
        const entry = slash === -1 ? key : key.slice(0, slash + 1);
        if (entries[entries.length - 1] === entry) continue;
        // A common prefix already passed by StartAfter is still reported (as S3 does) when any
        // key under it sorts after StartAfter.
        if (entries.length === options.maxKeys) {
          truncated = true;
          break;
        }
        entries.push(entry);
      }
      const last = entries[entries.length - 1];
      return {
        files: entries.filter((entry) => !entry.endsWith('/')),
        directories: entries.filter((entry) => entry.endsWith('/')).map((entry) => entry.slice(0, -1)),
        lastKey: last,
        truncated,
        // S3's token resumes after the last entry; for a common prefix, after everything under it.
        nextToken:
          truncated && last !== undefined ? (last.endsWith('/') ? `${last}\uffff` : last) : undefined,
      };
    },
    async hasDirectory(name: string): Promise<boolean> {
      source.probes += 1;
      return sorted.some((key) => key.startsWith(`${name}/`));
    },
  };
  return source;
}

function expectedNames(keys: readonly string[]): string[] {
  return [...new Set(keys.map((key) => key.split('/')[0]!))]
    .filter((name) => /^[A-Za-z0-9._-]+$/.test(name))
    .sort();
}

async function allPages(source: ListingSource, limit: number, pageSize: number): Promise<string[]> {
  const result: string[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 1000; guard += 1) {
    const { names } = await listChildren(source, {
      limit,
      pageSize,
      ...(after !== undefined ? { startAfter: after } : {}),
    });
    if (names.length === 0) return result;
    expect(names.length).toBeLessThanOrEqual(limit);
    result.push(...names);
    after = names[names.length - 1];
  }
  throw new Error('pagination did not end');
}

describe('listChildren', () => {
  it('orders a directory before names that extend it with - or . (S3 lists those first)', async () => {
    const keys = ['d-x', 'd.x/file', 'd/inner', 'd-/y', 'dd', 'c', 'e/f/g'];
    for (const pageSize of [1, 2, 1000]) {
      const source = fakeS3(keys);
      expect((await listChildren(source, { pageSize })).names).toEqual([
        'c',
        'd',
        'd-',
        'd-x',
        'd.x',
        'dd',
        'e',
      ]);
    }
  });

  it('hides names that are not path segments (the driver’s ~ areas)', async () => {
    const source = fakeS3(['~writers/a', 'a', 'b/c']);
    expect((await listChildren(source, {})).names).toEqual(['a', 'b']);
  });

  it('pages by startAfter and limit to the same sequence, on many generated name sets', async () => {
    // A fixed-seed generator over the characters that matter: '-' and '.' sort below '/'.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ['a', 'b', '-', '.', '0'];
    for (let round = 0; round < 60; round += 1) {
      const keys: string[] = [];
      const count = 1 + Math.floor(random() * 12);
      for (let index = 0; index < count; index += 1) {
        const length = 1 + Math.floor(random() * 4);
        let name = '';
        for (let character = 0; character < length; character += 1) {
          name += alphabet[Math.floor(random() * alphabet.length)];
        }
        keys.push(random() < 0.5 ? name : `${name}/child`);
      }
      const expected = expectedNames(keys);
      for (const [limit, pageSize] of [
        [1, 1],
        [2, 1],
        [2, 3],
        [3, 2],
        [1000, 1],
        [1000, 1000],
      ] as const) {
        expect(await allPages(fakeS3(keys), limit, pageSize), JSON.stringify({ keys, limit })).toEqual(
          expected,
        );
      }
    }
  });

  it('reads only about one page for a small limit, whatever the directory size', async () => {
    const keys = Array.from({ length: 5000 }, (_, index) => `tag-${String(index).padStart(5, '0')}/link`);
    const source = fakeS3(keys);
    const { names } = await listChildren(source, { limit: 10, startAfter: 'tag-02000' });
    expect(names).toEqual(
      Array.from({ length: 10 }, (_, index) => `tag-${String(2001 + index).padStart(5, '0')}`),
    );
    // One list call, and no probe: the only candidate directory ("tag") sorts before startAfter.
    expect(source.calls).toBe(1);
    expect(source.probes).toBe(0);
  });

  it('reports an empty range and whether anything was seen', async () => {
    expect(await listChildren(fakeS3([]), {})).toEqual({ names: [], sawAnything: false });
    expect(await listChildren(fakeS3(['a', 'b']), { startAfter: 'b' })).toEqual({
      names: [],
      sawAnything: false,
    });
    expect((await listChildren(fakeS3(['a']), {})).sawAnything).toBe(true);
  });
});
