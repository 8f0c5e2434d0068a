import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { StoredArtifact } from '../history/job-files.js';
import { extractArtifact, listArtifact } from './artifact-reader.js';
import { ArchiveError, ExtractConflictError, UnsafeEntryError } from './errors.js';
import { gzipMember, writeHostileZip, writeZip } from './test-support/archives.js';

function sandbox() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-artifacts-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

function stored(file: string, type = 'archive', format = 'zip'): StoredArtifact {
  return { type, format, file, size: statSync(file).size };
}

const runnerLikeZip = [
  { name: 'dist/', directory: true as const },
  { name: 'dist/app.js', content: 'console.log(1);\n' },
  { name: 'dist/run.sh', content: '#!/bin/sh\n', mode: 0o755 },
  { name: 'dist/current', symlink: 'app.js' },
  { name: 'dist/escape', symlink: '../../outside' },
  { name: 'dist/absolute', symlink: '/etc/passwd' },
];

describe('zip artifacts', () => {
  it('lists entries with kind, size, mode and symlink target', async () => {
    const root = sandbox();
    const file = path.join(root, 'artifacts.zip');
    await writeZip(file, runnerLikeZip);
    const entries = await listArtifact(stored(file));
    expect(entries.map(({ name, kind, size, mode, target }) => ({ name, kind, size, mode, target }))).toEqual(
      [
        { name: 'dist', kind: 'directory', size: 0, mode: 0o755, target: undefined },
        { name: 'dist/app.js', kind: 'file', size: 16, mode: 0o644, target: undefined },
        { name: 'dist/run.sh', kind: 'file', size: 10, mode: 0o755, target: undefined },
        { name: 'dist/current', kind: 'symlink', size: 6, mode: 0o777, target: 'app.js' },
        { name: 'dist/escape', kind: 'symlink', size: 13, mode: 0o777, target: '../../outside' },
        { name: 'dist/absolute', kind: 'symlink', size: 11, mode: 0o777, target: '/etc/passwd' },
      ],
    );
    expect(entries[1]?.modified).toBeInstanceOf(Date);
  });

  it('extracts files with their modes and inner symlinks, and skips links that leave the destination', async () => {
    const root = sandbox();
    const file = path.join(root, 'artifacts.zip');
    await writeZip(file, runnerLikeZip);
    const dest = path.join(root, 'out');
    const report = await extractArtifact(stored(file), dest);
    expect(report.written).toEqual(['dist/app.js', 'dist/run.sh', 'dist/current']);
    expect(report.skipped).toEqual([
      { name: 'dist/escape', reason: 'symlink to ../../outside, outside the destination' },
      { name: 'dist/absolute', reason: 'symlink to the absolute path /etc/passwd' },
    ]);
    expect(readFileSync(path.join(dest, 'dist/app.js'), 'utf8')).toBe('console.log(1);\n');
    expect(statSync(path.join(dest, 'dist/run.sh')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(path.join(dest, 'dist/current'))).toBe('app.js');
    expect(existsSync(path.join(dest, 'dist/escape'))).toBe(false);
  });

  it.each([
    ['../evil.txt', 'invalid relative path'],
    ['a/../../evil', 'invalid relative path'],
    ['/tmp/evil.txt', 'absolute path'],
    ['..\\evil.txt', 'invalid relative path'],
  ])('refuses the entry %j and writes nothing outside', async (hostile, reason) => {
    const root = sandbox();
    const file = path.join(root, 'artifacts.zip');
    await writeHostileZip(file, hostile);
    const dest = path.join(root, 'deep', 'out');
    const failure = extractArtifact(stored(file), dest);
    await expect(failure).rejects.toBeInstanceOf(UnsafeEntryError);
    await expect(failure).rejects.toThrow(reason);
    expect(existsSync(path.join(root, 'deep', 'evil.txt'))).toBe(false);
    expect(existsSync(path.join(root, 'evil.txt'))).toBe(false);
    // Listing refuses the archive too, naming the entry.
    await expect(listArtifact(stored(file))).rejects.toThrow(/refusing entry/);
  });

  it('refuses to write through a symlink already in the destination', async () => {
    const root = sandbox();
    const file = path.join(root, 'artifacts.zip');
    await writeZip(file, [{ name: 'out/evil.txt', content: 'x' }]);
    const dest = path.join(root, 'dest');
    const outside = path.join(root, 'outside');
    mkdirSync(dest);
    mkdirSync(outside);
    symlinkSync(outside, path.join(dest, 'out'));
    await expect(extractArtifact(stored(file), dest)).rejects.toThrow(
      /resolves to .*outside through a symlink/,
    );
    expect(existsSync(path.join(outside, 'evil.txt'))).toBe(false);
  });

  it('refuses to replace an existing file unless asked, and then replaces a symlink rather than following it', async () => {
    const root = sandbox();
    const file = path.join(root, 'artifacts.zip');
    await writeZip(file, [{ name: 'a.txt', content: 'new' }]);
    const dest = path.join(root, 'dest');
    mkdirSync(dest);
    writeFileSync(path.join(root, 'victim'), 'keep');
    symlinkSync(path.join(root, 'victim'), path.join(dest, 'a.txt'));
    await expect(extractArtifact(stored(file), dest)).rejects.toBeInstanceOf(ExtractConflictError);
    await extractArtifact(stored(file), dest, { overwrite: true });
    expect(lstatSync(path.join(dest, 'a.txt')).isFile()).toBe(true);
    expect(readFileSync(path.join(dest, 'a.txt'), 'utf8')).toBe('new');
    expect(readFileSync(path.join(root, 'victim'), 'utf8')).toBe('keep');
  });

  it('says which file is not a zip', async () => {
    const root = sandbox();
    const file = path.join(root, 'artifacts.zip');
    writeFileSync(file, 'PK but not really');
    await expect(listArtifact(stored(file))).rejects.toBeInstanceOf(ArchiveError);
    await expect(listArtifact(stored(file))).rejects.toThrow(`${file}: not a readable zip archive`);
  });
});

describe('report archives', () => {
  it('lists and extracts the files of a gzip report by the paths the runner recorded', async () => {
    const root = sandbox();
    const file = path.join(root, 'junit.gzip');
    writeFileSync(
      file,
      Buffer.concat([
        gzipMember('report.xml', 'unit/report.xml', Buffer.from('<testsuites name="unit"/>')),
        gzipMember('report.xml', 'e2e/report.xml', Buffer.from('<testsuites name="e2e"/>')),
      ]),
    );
    const artifact = stored(file, 'junit', 'gzip');
    expect((await listArtifact(artifact)).map(({ name, size }) => ({ name, size }))).toEqual([
      { name: 'unit/report.xml', size: 25 },
      { name: 'e2e/report.xml', size: 24 },
    ]);
    const dest = path.join(root, 'out');
    expect((await extractArtifact(artifact, dest)).written).toEqual(['unit/report.xml', 'e2e/report.xml']);
    expect(readFileSync(path.join(dest, 'e2e/report.xml'), 'utf8')).toBe('<testsuites name="e2e"/>');
  });

  it('names a member without a usable path by its base name, else by the report type', async () => {
    const root = sandbox();
    const file = path.join(root, 'dotenv.gzip');
    writeFileSync(
      file,
      Buffer.concat([
        gzipMember('build.env', '/builds/group/app/build.env', Buffer.from('A=1\n')),
        gzipMember(undefined, undefined, Buffer.from('B=2\n')),
      ]),
    );
    expect((await listArtifact(stored(file, 'dotenv', 'gzip'))).map((entry) => entry.name)).toEqual([
      'build.env',
      'dotenv.2',
    ]);
  });

  it('detects a damaged gzip report', async () => {
    const root = sandbox();
    const file = path.join(root, 'junit.gzip');
    const member = gzipMember('r.xml', undefined, Buffer.from('<testsuites/>'));
    member[member.length - 8]! ^= 0xff; // the CRC
    writeFileSync(file, member);
    await expect(listArtifact(stored(file, 'junit', 'gzip'))).rejects.toThrow(
      `${file}: gzip member 1 (byte 0): CRC-32 mismatch`,
    );
  });

  it('extracts a raw report as one file named after its type', async () => {
    const root = sandbox();
    const file = path.join(root, 'sast.raw');
    writeFileSync(file, '{"vulnerabilities":[]}');
    const artifact = stored(file, 'sast', 'raw');
    expect(await listArtifact(artifact)).toEqual([{ name: 'sast', kind: 'file', size: 22 }]);
    await extractArtifact(artifact, path.join(root, 'out'));
    expect(readFileSync(path.join(root, 'out', 'sast'), 'utf8')).toBe('{"vulnerabilities":[]}');
  });

  it('says plainly which formats it cannot read', async () => {
    const root = sandbox();
    const file = path.join(root, 'archive.tarzstd');
    writeFileSync(file, 'x');
    await expect(listArtifact(stored(file, 'cyclonedx', 'tarzstd'))).rejects.toThrow(
      /cannot read the "tarzstd" format yet/,
    );
  });
});
