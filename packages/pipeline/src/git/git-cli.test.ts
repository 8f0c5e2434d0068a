import { describe, expect, it } from 'vitest';
import { createTempRepo } from '../test-support/git-repo.js';
import { createGitCli, findRepositoryRoot } from './git-cli.js';

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
