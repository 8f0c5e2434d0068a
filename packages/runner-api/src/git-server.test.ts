import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
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

  it('knows nothing about malformed project paths', async () => {
    const server = new GitServer({ root });
    expect(await server.repository('../../etc')).toBeUndefined();
    expect(await server.repository('single')).toBeUndefined();
  });
});
