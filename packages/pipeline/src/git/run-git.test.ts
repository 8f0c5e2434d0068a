import { describe, expect, it } from 'vitest';
import { createTempRepo } from '../test-support/git-repo.js';
import { runGit, runGitBatch } from './run-git.js';

describe('runGitBatch', () => {
  it('gives every command the exit code, output and error output runGit gives it alone', async ({
    onTestFinished,
  }) => {
    const repo = createTempRepo();
    onTestFinished(() => repo.remove());
    repo.write('a.txt', 'a\n');
    repo.commit('it\'s a "quoted" message\n\nglci-git-batch- in the body\n%s $HOME `x`');
    const commands = [
      ['rev-parse', '--show-toplevel', '--abbrev-ref', 'HEAD'],
      ['log', '-1', '--format=%H it\'s "%s"%n%B'],
      // Output without a final line break.
      ['log', '-1', '--format=%an', '--no-notes', '-z'],
      // No output, exit code 1.
      ['rev-parse', '--verify', '--quiet', 'refs/heads/nope'],
      // Error output, exit code 128, between commands that succeed.
      ['log', '-1', 'nope', '--'],
      ['ls-files', '-z', '--cached'],
      ['show', 'HEAD:a.txt'],
    ];
    const batch = await runGitBatch(repo.dir, commands);
    const alone = await Promise.all(commands.map((args) => runGit(repo.dir, args)));
    expect(batch).toEqual(alone);
    expect(batch.map((result) => result.code)).toEqual([0, 0, 0, 1, 128, 0, 0]);
    expect(batch[4]!.stderr).toMatch(/nope/);
    expect(batch[2]!.stdout).toBe('Ada\0');
  });

  it('answers outside a repository with each command failing as it does alone', async () => {
    const commands = [
      ['rev-parse', '--show-toplevel'],
      ['remote', 'get-url', 'origin'],
    ];
    const batch = await runGitBatch('/', commands);
    expect(batch).toEqual(await Promise.all(commands.map((args) => runGit('/', args))));
    expect(batch[0]!.code).not.toBe(0);
  });

  it('runs a single command as runGit does', async () => {
    expect(await runGitBatch('/', [['--version']])).toEqual([await runGit('/', ['--version'])]);
  });
});
