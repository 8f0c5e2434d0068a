import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.js';
import { packRepository } from './git-pack.js';
import { GitServer } from './git-server.js';
import { git, makeRepository } from './test-support/git.js';

/** Byte size of a pack stream, consumed into a buffer so it can be sent again. */
async function buffered(pack: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('packRepository → GitServer.receivePack (a server that cannot read the user repository)', () => {
  let root: string;
  let repo: { dir: string; head: string };
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'glci-git-pack-'));
    repo = await makeRepository();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(repo.dir, { recursive: true, force: true });
  });

  it('serves a commit from a full pack, then an incremental one, with no alternates to the user repo', async () => {
    const server = new GitServer({ root });
    expect(await server.knownCommits('group/packed')).toEqual([]);
    const first = await packRepository({ repoDir: repo.dir, rev: 'HEAD~1' });
    expect(first.sha).toBe(await git(repo.dir, ['rev-parse', 'HEAD~1']));
    const firstBytes = await buffered(first.pack);
    await server.receivePack(Readable.from([firstBytes]), {
      projectPath: 'group/packed',
      sha: first.sha,
      ref: 'main',
      pipelineId: 1,
    });
    const serving = (await server.repository('group/packed'))!;
    await expect(access(path.join(serving, 'objects/info/alternates'))).rejects.toThrow();
    expect(await git(serving, ['rev-parse', 'refs/pipelines/1'])).toBe(first.sha);
    expect(await server.knownCommits('group/packed')).toEqual([first.sha]);

    // The next pack leaves out what the server has: it is much smaller, and still complete.
    const second = await packRepository({
      repoDir: repo.dir,
      exclude: await server.knownCommits('group/packed'),
    });
    const secondBytes = await buffered(second.pack);
    expect(secondBytes.length).toBeLessThan(firstBytes.length);
    await server.receivePack(Readable.from([secondBytes]), {
      projectPath: 'group/packed',
      sha: second.sha,
      ref: 'main',
      pipelineId: 2,
    });
    expect(await git(serving, ['rev-parse', 'refs/heads/main'])).toBe(repo.head);
    expect(await git(serving, ['fsck', '--connectivity-only', '--no-progress'])).toBe('');
    const clone = await mkdtemp(path.join(os.tmpdir(), 'glci-git-pack-clone-'));
    try {
      await git(clone, ['clone', '-q', serving, 'work']);
      expect(await readFile(path.join(clone, 'work', 'file.txt'), 'utf8')).toBe('version 3\n');
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });

  it('packs a dirty work tree as a snapshot commit without writing to the user repository', async () => {
    const { dir, head } = await makeRepository();
    try {
      await writeFile(path.join(dir, 'new.txt'), 'untracked but not ignored\n');
      await writeFile(path.join(dir, 'ignored.txt'), 'ignored\n');
      const objectsBefore = await git(dir, ['count-objects', '-v']);
      const packed = await packRepository({ repoDir: dir, dirty: true });
      expect(packed.snapshot).toBe(true);
      const server = new GitServer({ root });
      await server.receivePack(packed.pack, {
        projectPath: 'group/dirty-pack',
        sha: packed.sha,
        ref: 'main',
        pipelineId: 1,
      });
      const serving = (await server.repository('group/dirty-pack'))!;
      expect((await git(serving, ['ls-tree', '--name-only', packed.sha])).split('\n').sort()).toEqual([
        '.gitignore',
        'file.txt',
        'new.txt',
      ]);
      expect(await git(serving, ['rev-parse', `${packed.sha}^`])).toBe(head);
      expect(await git(dir, ['count-objects', '-v'])).toBe(objectsBefore);
      await expect(git(dir, ['cat-file', '-e', packed.sha])).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses garbage and a pack that lacks the commit, leaving the refs alone', async () => {
    const server = new GitServer({ root });
    const options = { projectPath: 'group/refused', sha: repo.head, ref: 'main', pipelineId: 1 };
    await expect(server.receivePack(Readable.from([Buffer.from('not a pack')]), options)).rejects.toThrow(
      BadRequestError,
    );
    const older = await packRepository({ repoDir: repo.dir, rev: 'HEAD~2' });
    await expect(server.receivePack(older.pack, options)).rejects.toThrow(/does not deliver commit/);
    expect(await server.knownCommits('group/refused')).toEqual([]);
    await expect(server.receivePack(Readable.from([]), { ...options, sha: 'nope' })).rejects.toThrow(
      /full commit id/,
    );
  });
});
