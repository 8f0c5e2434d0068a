import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BundleLoader } from './bundle-loader.js';
import { createCodeCacheStore, sourceStamp } from './code-cache-store.js';

/** A bundle shaped as `bundle-cli.ts` writes one: an entry and chunks, CommonJS, requiring each other. */
function writeBundle(onFinished: (cleanup: () => void) => void): { root: string; home: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'glci-bundle-loader-'));
  onFinished(() => rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'dist');
  mkdirSync(path.join(root, 'chunks'), { recursive: true });
  writeFileSync(
    path.join(root, 'cli.cjs'),
    [
      'const shared = require("./chunks/shared.cjs");',
      'const { basename } = require("node:path");',
      'exports.url = __glciImportMetaUrl;',
      'exports.file = basename(__filename);',
      'exports.strict = (function () { return this; })() === undefined;',
      'exports.twice = shared.twice;',
      'exports.lazy = () => Promise.resolve().then(() => require("./chunks/lazy.cjs"));',
    ].join('\n'),
  );
  writeFileSync(path.join(root, 'chunks', 'shared.cjs'), 'exports.twice = (n) => n * 2;\n');
  writeFileSync(
    path.join(root, 'chunks', 'lazy.cjs'),
    'const shared = require("./shared.cjs");\nexports.four = shared.twice(2);\n',
  );
  return { root, home: path.join(base, 'home') };
}

interface Entry {
  url: string;
  file: string;
  strict: boolean;
  twice(n: number): number;
  lazy(): Promise<{ four: number }>;
}

describe('BundleLoader', () => {
  it("runs the bundle's CommonJS files, resolving their requires of each other once", async ({
    onTestFinished,
  }) => {
    const { root } = writeBundle(onTestFinished);
    const loader = new BundleLoader({ root });
    const entry = loader.load(path.join(root, 'cli.cjs')) as Entry;
    expect(entry.url).toBe(pathToFileURL(path.join(root, 'cli.cjs')).href);
    expect(entry.file).toBe('cli.cjs');
    expect(entry.strict).toBe(true);
    expect(entry.twice(21)).toBe(42);
    expect((await entry.lazy()).four).toBe(4);
    expect(loader.stats).toEqual({ compiled: 3, fromCache: 0, rejected: 0 });
    expect(loader.load(path.join(root, 'chunks', 'shared.cjs'))).toBe(
      loader.load(path.join(root, 'chunks', 'shared.cjs')),
    );
  });

  it('starts the next run from the code V8 compiled in the one before', async ({ onTestFinished }) => {
    const { root, home } = writeBundle(onTestFinished);
    const cacheDir = path.join(home, 'code-cache', 'build');
    const first = new BundleLoader({ root, cache: createCodeCacheStore(cacheDir) });
    await (first.load(path.join(root, 'cli.cjs')) as Entry).lazy();
    expect(first.saveCache()).toBe(3);
    expect(first.saveCache()).toBe(0);

    const second = new BundleLoader({ root, cache: createCodeCacheStore(cacheDir) });
    await (second.load(path.join(root, 'cli.cjs')) as Entry).lazy();
    expect(second.stats).toEqual({ compiled: 0, fromCache: 3, rejected: 0 });
    expect(second.saveCache()).toBe(0);
  });

  it('compiles a changed file from source and caches it again', ({ onTestFinished }) => {
    const { root, home } = writeBundle(onTestFinished);
    const cacheDir = path.join(home, 'code-cache', 'build');
    const first = new BundleLoader({ root, cache: createCodeCacheStore(cacheDir) });
    first.load(path.join(root, 'cli.cjs'));
    first.saveCache();
    writeFileSync(path.join(root, 'chunks', 'shared.cjs'), 'exports.twice = (n) => n + n + 0;\n');

    const second = new BundleLoader({ root, cache: createCodeCacheStore(cacheDir) });
    expect((second.load(path.join(root, 'cli.cjs')) as Entry).twice(4)).toBe(8);
    expect(second.stats).toEqual({ compiled: 1, fromCache: 1, rejected: 0 });
    expect(second.saveCache()).toBe(1);
  });

  it('compiles from source when V8 refuses the cached data, and replaces it', ({ onTestFinished }) => {
    const { root, home } = writeBundle(onTestFinished);
    const store = createCodeCacheStore(path.join(home, 'code-cache', 'build'));
    const entry = path.join(root, 'cli.cjs');
    // Whole and checksummed, so the store hands it out, but not V8's: as from another Node.
    store.write('cli.cjs', sourceStamp(entry), Buffer.alloc(4096, 7));

    const loader = new BundleLoader({ root, cache: store });
    expect((loader.load(entry) as Entry).twice(1)).toBe(2);
    expect(loader.stats).toEqual({ compiled: 2, fromCache: 0, rejected: 1 });
    expect(loader.saveCache()).toBe(2);
    const next = new BundleLoader({ root, cache: store });
    next.load(entry);
    expect(next.stats).toEqual({ compiled: 0, fromCache: 2, rejected: 0 });
  });
});
