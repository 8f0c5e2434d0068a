import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitServer } from './git-server.js';
import { git, makeRepository } from './test-support/git.js';

describe('GitServer', () => {
  let root: string;
  let repo: { dir: string; head: string };
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'glci-git-'));
    repo = await makeRepository();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(repo.dir, { recursive: true, force: true });
  });

  it('publishes refs into a serving repository that borrows the user objects', async () => {
    const server = new GitServer({ root });
    expect(await server.repository('group/demo')).toBeUndefined();
    const published = await server.publish({
      projectPath: 'group/demo',
      repoDir: repo.dir,
      ref: 'main',
      pipelineId: 3,
      rev: 'HEAD~1',
    });
    const serving = (await server.repository('group/demo'))!;
    expect(serving).toBe(path.join(root, 'group/demo.git'));
    expect(published.sha).toBe(await git(repo.dir, ['rev-parse', 'HEAD~1']));
    expect(await git(serving, ['rev-parse', 'refs/heads/main'])).toBe(published.sha);
    expect(await git(serving, ['rev-parse', 'refs/pipelines/3'])).toBe(published.sha);
    expect(await readFile(path.join(serving, 'objects/info/alternates'), 'utf8')).toBe(
      `${path.join(repo.dir, '.git', 'objects')}\n`,
    );
    // Nothing was copied: the serving repository has no objects of its own.
    await expect(access(path.join(serving, 'objects', published.sha.slice(0, 2)))).rejects.toThrow();
  });

  it('snapshots deletions, staged and unstaged changes, leaving the user index byte-identical', async () => {
    const { dir, head } = await makeRepository();
    try {
      await writeFile(path.join(dir, 'staged.txt'), 'staged\n');
      await git(dir, ['add', 'staged.txt']);
      await rm(path.join(dir, '.gitignore'));
      await writeFile(path.join(dir, 'ignored.txt'), 'no longer ignored\n');
      const index = await readFile(path.join(dir, '.git', 'index'));
      const server = new GitServer({ root });
      const published = await server.publish({
        projectPath: 'group/dirty',
        repoDir: dir,
        ref: 'main',
        pipelineId: 1,
        dirty: true,
      });
      const serving = (await server.repository('group/dirty'))!;
      const files = (await git(serving, ['ls-tree', '--name-only', published.sha])).split('\n');
      expect(files.sort()).toEqual(['file.txt', 'ignored.txt', 'staged.txt']);
      expect(await git(serving, ['rev-parse', `${published.sha}^`])).toBe(head);
      expect((await readFile(path.join(dir, '.git', 'index'))).equals(index)).toBe(true);
      expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('knows nothing about malformed project paths', async () => {
    const server = new GitServer({ root });
    expect(await server.repository('../../etc')).toBeUndefined();
    expect(await server.repository('single')).toBeUndefined();
  });
});
