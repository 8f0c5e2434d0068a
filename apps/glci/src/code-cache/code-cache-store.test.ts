import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCodeCacheStore } from './code-cache-store.js';

function tempDir(onFinished: (cleanup: () => void) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-code-cache-'));
  onFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const stamp = { size: 1234, mtimeMs: 1_700_000_000_123 };
const data = Buffer.from('compiled code, as V8 would hand it out \x00\x01\x02');

describe('createCodeCacheStore', () => {
  it('reads back what it wrote for the same source, under the build directory', ({ onTestFinished }) => {
    const home = tempDir(onTestFinished);
    const store = createCodeCacheStore(path.join(home, 'build-a'));
    expect(store.read('chunks/chunk-X.cjs', stamp)).toBeUndefined();
    store.write('chunks/chunk-X.cjs', stamp, data);
    expect(store.read('chunks/chunk-X.cjs', stamp)).toEqual(data);
    expect(readdirSync(path.join(home, 'build-a', 'chunks'))).toEqual(['chunk-X.cjs.v8']);
  });

  it('does not serve a cache made from another version of the source', ({ onTestFinished }) => {
    const store = createCodeCacheStore(path.join(tempDir(onTestFinished), 'build'));
    store.write('cli.cjs', stamp, data);
    expect(store.read('cli.cjs', { ...stamp, size: stamp.size + 1 })).toBeUndefined();
    expect(store.read('cli.cjs', { ...stamp, mtimeMs: stamp.mtimeMs + 1 })).toBeUndefined();
  });

  it('ignores a damaged or truncated file, and a later write replaces it', ({ onTestFinished }) => {
    const dir = path.join(tempDir(onTestFinished), 'build');
    const store = createCodeCacheStore(dir);
    store.write('cli.cjs', stamp, data);
    const file = path.join(dir, 'cli.cjs.v8');
    const bytes = readFileSync(file);
    const flipped = Buffer.from(bytes);
    const at = flipped.length - 3;
    flipped.writeUInt8(flipped.readUInt8(at) ^ 0xff, at);
    writeFileSync(file, flipped);
    expect(store.read('cli.cjs', stamp)).toBeUndefined();
    writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    expect(store.read('cli.cjs', stamp)).toBeUndefined();
    writeFileSync(file, 'not a cache at all');
    expect(store.read('cli.cjs', stamp)).toBeUndefined();
    store.write('cli.cjs', stamp, data);
    expect(store.read('cli.cjs', stamp)).toEqual(data);
  });

  it('writes through a temporary file renamed into place, leaving no temporary behind', ({
    onTestFinished,
  }) => {
    const dir = path.join(tempDir(onTestFinished), 'build');
    const stores = [createCodeCacheStore(dir), createCodeCacheStore(dir)];
    // Two processes finishing together: each write is whole, the last one wins.
    stores[0]!.write('cli.cjs', stamp, data);
    stores[1]!.write('cli.cjs', stamp, Buffer.concat([data, data]));
    expect(readdirSync(dir)).toEqual(['cli.cjs.v8']);
    expect(stores[0]!.read('cli.cjs', stamp)).toEqual(Buffer.concat([data, data]));
  });

  it("removes other builds' caches when it first writes its own", ({ onTestFinished }) => {
    const home = tempDir(onTestFinished);
    mkdirSync(path.join(home, 'old-build', 'chunks'), { recursive: true });
    writeFileSync(path.join(home, 'old-build', 'cli.cjs.v8'), 'old');
    const store = createCodeCacheStore(path.join(home, 'new-build'));
    expect(readdirSync(home)).toEqual(['old-build']);
    store.write('cli.cjs', stamp, data);
    expect(readdirSync(home)).toEqual(['new-build']);
  });

  it('never throws when the cache cannot be written', ({ onTestFinished }) => {
    const home = tempDir(onTestFinished);
    // A file where the build directory's parent should be: mkdir fails.
    writeFileSync(path.join(home, 'blocked'), '');
    const store = createCodeCacheStore(path.join(home, 'blocked', 'build'));
    expect(() => store.write('cli.cjs', stamp, data)).not.toThrow();
    expect(store.read('cli.cjs', stamp)).toBeUndefined();
  });
});
