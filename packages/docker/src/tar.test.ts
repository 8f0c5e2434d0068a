import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createTar } from './tar.js';

describe('createTar', () => {
  it('writes an archive that tar extracts with contents and modes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-tar-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const longName = `${'d'.repeat(60)}/${'f'.repeat(60)}.toml`;
    // Too long for ustar's name + prefix fields: needs a pax header.
    const veryLongName = `${'e'.repeat(80)}/${'g'.repeat(180)}`;
    const archive = await createTar([
      { path: 'config.toml', content: 'concurrent = 1\n', mode: 0o600 },
      { path: 'bin/run', content: '#!/bin/sh\n', mode: 0o755 },
      { path: longName, content: new Uint8Array([1, 2, 3]) },
      { path: veryLongName, content: 'pax\n' },
    ]);
    expect(archive.length % 512).toBe(0);
    writeFileSync(path.join(dir, 'a.tar'), archive);
    execFileSync('tar', ['-xf', 'a.tar'], { cwd: dir });
    expect(readFileSync(path.join(dir, 'config.toml'), 'utf8')).toBe('concurrent = 1\n');
    expect(statSync(path.join(dir, 'config.toml')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'bin/run')).mode & 0o777).toBe(0o755);
    expect([...readFileSync(path.join(dir, longName))]).toEqual([1, 2, 3]);
    expect(readFileSync(path.join(dir, veryLongName), 'utf8')).toBe('pax\n');
  });
});
