import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDigest } from '../digest.js';
import { CacheDirectory, writeVerified } from './cache-directory.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'glci-cache-directory-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const digestOf = (content: Uint8Array) =>
  makeDigest('sha256', createHash('sha256').update(content).digest('hex'));

describe('CacheDirectory', () => {
  it('prepares its layout owner-only, removing stale copies in progress and nothing else', async () => {
    mkdirSync(path.join(root, 'tmp'), { recursive: true });
    writeFileSync(path.join(root, 'tmp', 'fill-0f3a'), 'partial');
    writeFileSync(path.join(root, 'tmp', 'notes.txt'), 'not ours');
    writeFileSync(path.join(root, 'README'), 'not ours');
    await new CacheDirectory(root).prepare();
    expect(readdirSync(path.join(root, 'tmp'))).toEqual(['notes.txt']);
    expect(existsSync(path.join(root, 'README'))).toBe(true);
    expect(statSync(path.join(root, 'blobs', 'sha512')).mode & 0o777).toBe(0o700);
  });

  it('finds the blobs it holds, least recently filled first, and ignores other names', async () => {
    const directory = new CacheDirectory(root);
    await directory.prepare();
    const older = digestOf(Buffer.from('older'));
    const newer = digestOf(Buffer.from('newer'));
    writeFileSync(directory.blobPath(newer), 'newer');
    writeFileSync(directory.blobPath(older), 'older!');
    utimesSync(directory.blobPath(older), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    writeFileSync(path.join(root, 'blobs', 'sha256', 'not-a-digest'), 'x');
    mkdirSync(path.join(root, 'blobs', 'sha256', 'a'.repeat(64)));
    const found = await directory.scan();
    expect(found.map(({ digest, size }) => [String(digest), size])).toEqual([
      [String(older), 6],
      [String(newer), 5],
    ]);
  });
});

describe('writeVerified', () => {
  it('writes exactly the blob, and refuses other bytes, fewer or more', async () => {
    const content = randomBytes(3000);
    const digest = digestOf(content);
    const file = (name: string) => path.join(root, name);
    const signal = new AbortController().signal;
    const identity = await writeVerified(file('good'), digest, 3000, Readable.from([content]), signal);
    expect(identity.size).toBe(3000n);
    await expect(
      writeVerified(file('other'), digest, 3000, Readable.from([randomBytes(3000)]), signal),
    ).rejects.toThrow(/hash to sha256:/);
    await expect(
      writeVerified(file('short'), digest, 3000, Readable.from([content.subarray(1)]), signal),
    ).rejects.toThrow(/sent 2999 bytes of a 3000-byte blob/);
    await expect(
      writeVerified(file('long'), digest, 3000, Readable.from([content, Buffer.from('x')]), signal),
    ).rejects.toThrow(/sent 3001 bytes/);
    expect(statSync(file('good')).mode & 0o777).toBe(0o600);
  });
});
