import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { UnsafeEntryError } from './errors.js';
import { ExtractTarget } from './extract-target.js';

async function target() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-extract-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  return ExtractTarget.open(path.join(root, 'dest'), { archive: 'a.zip' });
}

describe('ExtractTarget', () => {
  it.each(['', 'a\0b', 'C:/x', 'c:x', '/abs', 'a/../../b', '..', 'a\\b'])(
    'refuses the name %j',
    async (name) => {
      const dest = await target();
      await expect(dest.file(name, Buffer.from('x'))).rejects.toBeInstanceOf(UnsafeEntryError);
    },
  );

  it('accepts names that only look odd, and strips set-id bits', async () => {
    const dest = await target();
    await dest.file('..data/x', Buffer.from('1'), 0o4755);
    await dest.file('a/./b', Buffer.from('2'));
    await dest.directory('empty/dir', 0o500);
    expect(readFileSync(path.join(dest.root, '..data/x'), 'utf8')).toBe('1');
    expect(statSync(path.join(dest.root, '..data/x')).mode & 0o7777).toBe(0o755);
    expect(statSync(path.join(dest.root, 'empty/dir')).mode & 0o777).toBe(0o700);
    expect(dest.report.written).toEqual(['..data/x', 'a/./b']);
  });
});
