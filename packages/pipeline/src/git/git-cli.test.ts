import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempRepo } from '../test-support/git-repo.js';
import { createGitCli, findRepositoryRoot, openGitRepository } from './git-cli.js';
import type { GitFacts } from './git-facts.js';

describe('createGitCli against a real repository', () => {
  it('reads the branch, commit, default branch, tags, files and changes', async ({ onTestFinished }) => {
    const repo = createTempRepo();
    onTestFinished(() => repo.remove());
    repo.write('.gitignore', 'ignored.txt\n');
    repo.write('a.txt', 'a\n');
    const first = repo.commit('First line\n\nThe body');
    repo.pushed();
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('b.txt', 'b\n');
    const second = repo.commit('second');
    repo.git('tag', 'v0.1.0');
    repo.write('untracked.txt', 'u\n');
    repo.write('ignored.txt', 'i\n');
    repo.write('a.txt', 'changed\n');

    const git = createGitCli(repo.dir);
    expect(await git.branch()).toBe('topic');
    expect(await git.commit()).toMatchObject({
      sha: second,
      parentSha: first,
      message: 'second',
      authorName: 'Ada',
      authorEmail: 'ada@example.com',
    });
    expect((await git.commit(first)).message).toBe('First line\n\nThe body');
    expect(await git.defaultBranch()).toBe('main');
    expect(await git.tagsAtHead()).toEqual(['v0.1.0']);
    expect(await git.resolve('main')).toBe(first);
    expect(await git.resolve('nope')).toBeUndefined();
    expect(await git.mergeBase(first, second)).toBe(first);
    expect(await git.files({ includeUntracked: false })).toEqual(['.gitignore', 'a.txt', 'b.txt']);
    expect([...(await git.files({ includeUntracked: true }))].sort()).toEqual([
      '.gitignore',
      'a.txt',
      'b.txt',
      'untracked.txt',
    ]);
    expect(await git.changedFiles({ base: first, mergeBase: true, workingTree: false })).toEqual(['b.txt']);
    expect(await git.changedFiles({ base: first, mergeBase: true, workingTree: true })).toEqual([
      'a.txt',
      'b.txt',
      'untracked.txt',
    ]);
    expect(await git.show('HEAD', 'a.txt')).toBe('a\n');
    expect(await git.show('HEAD', 'missing.txt')).toBeUndefined();
    expect(await git.lastCommitFor('a.txt')).toBe(first);
    expect(await git.upstreamSha()).toBeUndefined();
    expect(await git.remoteUrl()).toBe('https://gitlab.example.com/group/project.git');
    expect(await findRepositoryRoot(repo.dir)).toBe(await findRepositoryRoot(`${repo.dir}/.`));
  });

  it('refuses a directory outside a repository with a GitError', async () => {
    await expect(findRepositoryRoot('/')).rejects.toThrow(/git rev-parse --show-toplevel/);
  });
});

/** What a plan asks first, answered by `git`; a rejection becomes its message. */
async function firstFacts(git: GitFacts) {
  const settle = async (question: () => Promise<unknown>) => {
    try {
      return await question();
    } catch (error) {
      return `rejected: ${(error as Error).message}`;
    }
  };
  return {
    branch: await settle(() => git.branch()),
    commit: await settle(() => git.commit()),
    defaultBranch: await settle(() => git.defaultBranch()),
    remoteUrl: await settle(() => git.remoteUrl()),
    upstreamSha: await settle(() => git.upstreamSha()),
  };
}

describe('openGitRepository', () => {
  it('answers from a subdirectory as the one-question-per-process commands do', async ({
    onTestFinished,
  }) => {
    const repo = createTempRepo();
    onTestFinished(() => repo.remove());
    mkdirSync(path.join(repo.dir, 'sub', 'dir'), { recursive: true });
    repo.write('sub/dir/a.txt', 'a\n');
    repo.commit('first');
    repo.pushed();
    const opened = await openGitRepository(path.join(repo.dir, 'sub', 'dir'), { upstream: true });
    expect(opened.root).toBe(await findRepositoryRoot(repo.dir));
    const facts = await firstFacts(opened.git);
    expect(facts).toEqual(await firstFacts(createGitCli(opened.root)));
    expect(facts).toMatchObject({
      branch: 'main',
      defaultBranch: 'main',
      upstreamSha: repo.git('rev-parse', 'HEAD'),
    });
    repo.git('checkout', '-q', '--detach');
    const detached = await openGitRepository(repo.dir, { upstream: true });
    expect(await firstFacts(detached.git)).toEqual(await firstFacts(createGitCli(detached.root)));
    expect(await detached.git.branch()).toBeUndefined();
  });

  it('agrees on a detached HEAD, a branch with a slash and no origin/HEAD', async ({ onTestFinished }) => {
    const repo = createTempRepo({ branch: 'trunk' });
    onTestFinished(() => repo.remove());
    repo.commit('first');
    repo.git('checkout', '-q', '-b', 'feature/x');
    repo.commit('second');
    const onBranch = await openGitRepository(repo.dir, { upstream: true });
    expect(await firstFacts(onBranch.git)).toEqual(await firstFacts(createGitCli(onBranch.root)));
    expect(await onBranch.git.branch()).toBe('feature/x');
    repo.git('checkout', '-q', '--detach');
    const detached = await openGitRepository(repo.dir);
    expect(await firstFacts(detached.git)).toEqual(await firstFacts(createGitCli(detached.root)));
    expect(await detached.git.branch()).toBeUndefined();
  });

  it('asks again with the usual commands when HEAD is unborn', async ({ onTestFinished }) => {
    const repo = createTempRepo({ branch: 'fresh' });
    onTestFinished(() => repo.remove());
    const opened = await openGitRepository(repo.dir);
    const facts = await firstFacts(opened.git);
    expect(facts).toEqual(await firstFacts(createGitCli(opened.root)));
    expect(facts.branch).toBe('fresh');
    expect(facts.commit).toMatch(/^rejected: git log -1/);
  });

  it("answers the caller's own questions in the same batch, in order", async ({ onTestFinished }) => {
    const repo = createTempRepo({ branch: 'trunk' });
    onTestFinished(() => repo.remove());
    repo.commit('first');
    const opened = await openGitRepository(repo.dir, {
      upstream: true,
      also: [
        ['config', '--get', 'remote.origin.url'],
        ['config', '--get', 'no.such-key'],
      ],
    });
    expect(opened.also.map(({ code, stdout }) => ({ code, stdout: stdout.trim() }))).toEqual([
      { code: 0, stdout: 'https://gitlab.example.com/group/project.git' },
      { code: 1, stdout: '' },
    ]);
    expect(await opened.git.defaultBranch()).toBe(await createGitCli(opened.root).defaultBranch());
    expect(await opened.git.upstreamSha()).toBeUndefined();
  });

  it('refuses a directory outside a repository as findRepositoryRoot does', async () => {
    await expect(openGitRepository('/')).rejects.toThrow(/git rev-parse --show-toplevel/);
  });
});
