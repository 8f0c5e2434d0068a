import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { checkId, checkNamePart, findProjectDir } from './paths.js';

describe('findProjectDir', () => {
  it('finds the repository root (a .git directory or file) above the working directory', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'glci-paths-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const repo = path.join(root, 'repo');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    mkdirSync(path.join(repo, 'src', 'deep'), { recursive: true });
    expect(findProjectDir(path.join(repo, 'src', 'deep'))).toBe(repo);
    const worktree = path.join(root, 'worktree');
    mkdirSync(path.join(worktree, 'sub'), { recursive: true });
    writeFileSync(path.join(worktree, '.git'), 'gitdir: /elsewhere\n');
    expect(findProjectDir(path.join(worktree, 'sub'))).toBe(worktree);
  });

  it('falls back to the working directory outside any repository', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'glci-paths-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    expect(findProjectDir(root)).toBe(root);
  });
});

describe('name checks', () => {
  it.each(['junit', 'cobertura', 'api_fuzzing', 'zipzstd', 'a-b'])('accepts %s', (name) => {
    expect(checkNamePart('report type', name)).toBe(name);
  });

  it.each(['', '..', 'a/b', 'A', '.hidden', 'x'.repeat(65)])('refuses %j', (name) => {
    expect(() => checkNamePart('report type', name)).toThrow(/invalid report type/);
  });

  it('accepts positive integer ids only', () => {
    expect(checkId('job id', 12)).toBe(12);
    for (const id of [0, -1, 1.5, Number.NaN, 2 ** 60])
      expect(() => checkId('job id', id)).toThrow(/invalid job id/);
  });
});
