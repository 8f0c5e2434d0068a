import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDigest } from '../digest.js';
import { fileMatchesDigest, identityOf, sameContentIdentity, sameIdentity } from './file-identity.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(os.tmpdir(), 'glci-file-identity-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('fileMatchesDigest', () => {
  it('is true for exactly the blob, false for other bytes, a short file or bytes beyond it', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 5);
    const digest = makeDigest('sha256', createHash('sha256').update(content).digest('hex'));
    const check = async (bytes: Uint8Array, size = content.length) => {
      const file = path.join(directory, 'blob');
      writeFileSync(file, bytes);
      const handle = await open(file, 'r');
      try {
        return await fileMatchesDigest(handle, digest, size);
      } finally {
        await handle.close();
      }
    };
    expect(await check(content)).toBe(true);
    expect(await check(Buffer.concat([content, Buffer.from('x')]))).toBe(false);
    expect(await check(content.subarray(1))).toBe(false);
    const flipped = Buffer.from(content);
    flipped[2_000_000] = (flipped[2_000_000] ?? 0) ^ 1;
    expect(await check(flipped)).toBe(false);
  });
});

describe('file identities', () => {
  it('change with a write in place, and only in ctime with a rename', async () => {
    const file = path.join(directory, 'a');
    writeFileSync(file, 'content');
    const first = identityOf(await stat(file, { bigint: true }));
    expect(sameIdentity(first, identityOf(await stat(file, { bigint: true })))).toBe(true);
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('C'), 0, 1, 0);
    await handle.close();
    const written = identityOf(await stat(file, { bigint: true }));
    expect(sameIdentity(first, written)).toBe(false);
    expect(first.ctimeNs === written.ctimeNs && first.mtimeNs === written.mtimeNs).toBe(false);
    expect(sameContentIdentity(written, { ...written, ctimeNs: written.ctimeNs + 1n })).toBe(true);
    expect(sameContentIdentity(written, { ...written, ino: written.ino + 1n })).toBe(false);
  });
});
