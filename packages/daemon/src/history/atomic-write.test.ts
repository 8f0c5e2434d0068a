import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isTemporaryName, writeFileAtomic, writeStreamAtomic } from './atomic-write.js';

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-atomic-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('writeFileAtomic', () => {
  it('creates the directory, replaces the file, and leaves no temporary file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a', 'b', 'record.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two', 0o600);
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['record.json']);
  });
});

describe('writeStreamAtomic', () => {
  it('writes a stream and counts its bytes', async () => {
    const file = path.join(tempDir(), 'artifacts.zip');
    const bytes = await writeStreamAtomic(file, Readable.from([Buffer.alloc(70_000, 1), Buffer.alloc(5, 2)]));
    expect(bytes).toBe(70_005);
    expect(statSync(file).size).toBe(70_005);
  });

  it('keeps the old file and removes the temporary one when the stream fails', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'artifacts.zip');
    await writeFileAtomic(file, 'old');
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('upload cut off'));
      },
    });
    await expect(writeStreamAtomic(file, failing)).rejects.toThrow('upload cut off');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['artifacts.zip']);
  });
});

describe('isTemporaryName', () => {
  it('recognises the temporary names and nothing else', () => {
    expect(isTemporaryName('.junit.gzip.0a1b2c3d4e5f.tmp')).toBe(true);
    expect(isTemporaryName('junit.gzip')).toBe(false);
    expect(isTemporaryName('.hidden')).toBe(false);
  });
});
