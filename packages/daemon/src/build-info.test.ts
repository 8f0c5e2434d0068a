import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildIdentity, computeBuildInfo, readBuildInfo, shortBuildIdentity } from './build-info.js';

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-build-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  git('init', '-q');
  writeFileSync(path.join(dir, 'a.txt'), 'one\n');
  writeFileSync(path.join(dir, '.gitignore'), 'ignored/\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  return { dir, git };
}

describe('computeBuildInfo', () => {
  it('is the commit for a clean tree, and ignored files do not make it dirty', () => {
    const { dir, git } = repo();
    execFileSync('mkdir', ['-p', path.join(dir, 'ignored')]);
    writeFileSync(path.join(dir, 'ignored', 'x'), 'x');
    expect(computeBuildInfo(dir)).toEqual({ commit: git('rev-parse', 'HEAD'), source: 'git' });
  });

  it('gives every different set of uncommitted changes its own identity', () => {
    const { dir, git } = repo();
    const commit = git('rev-parse', 'HEAD');
    writeFileSync(path.join(dir, 'a.txt'), 'two\n');
    const first = computeBuildInfo(dir);
    expect(first).toMatchObject({ commit, source: 'git', dirty: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(computeBuildInfo(dir)).toEqual(first);
    writeFileSync(path.join(dir, 'a.txt'), 'three\n');
    const second = computeBuildInfo(dir);
    expect(second.dirty).not.toBe(first.dirty);
    writeFileSync(path.join(dir, 'new.ts'), 'export {};\n');
    const third = computeBuildInfo(dir);
    expect(third.dirty).not.toBe(second.dirty);
    writeFileSync(path.join(dir, 'new.ts'), 'export const x = 1;\n');
    expect(computeBuildInfo(dir).dirty).not.toBe(third.dirty);
  });

  it('is unknown outside a git checkout', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-nogit-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    expect(computeBuildInfo(dir)).toEqual({ commit: 'unknown', source: 'unknown' });
  });
});

describe('readBuildInfo', () => {
  it('prefers the embedded file, and computes from git without one', () => {
    const { dir, git } = repo();
    const file = path.join(dir, 'build-info.json');
    expect(readBuildInfo({ file, repoDir: dir })).toEqual({
      commit: git('rev-parse', 'HEAD'),
      source: 'git',
    });
    writeFileSync(file, JSON.stringify({ commit: 'abc', dirty: '12345678', source: 'build' }));
    expect(readBuildInfo({ file, repoDir: dir })).toEqual({
      commit: 'abc',
      dirty: '12345678',
      source: 'build',
    });
    writeFileSync(file, JSON.stringify({ commit: '' }));
    expect(() => readBuildInfo({ file, repoDir: dir })).toThrow(/not a valid build-info file/);
  });
});

describe('identities', () => {
  it('carries the dirty marker', () => {
    const commit = '0123456789abcdef0123456789abcdef01234567';
    expect(buildIdentity({ commit })).toBe(commit);
    expect(buildIdentity({ commit, dirty: 'aa11bb22' })).toBe(`${commit}-dirty.aa11bb22`);
    expect(shortBuildIdentity({ commit, dirty: 'aa11bb22' })).toBe('0123456789ab-dirty.aa11bb22');
    expect(shortBuildIdentity({ commit: 'unknown' })).toBe('unknown');
  });
});
