import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempRepo {
  readonly dir: string;
  git(...args: string[]): string;
  write(file: string, text: string): void;
  commit(message: string): string;
  /** Points `origin/main` (and `origin/HEAD`) at HEAD and makes it `main`'s upstream, as after a push. */
  pushed(): void;
  remove(): void;
}

/**
 * A real git repository in a temporary directory, on `main`, with an `origin` remote (never
 * contacted) so that project paths and the server host come from it as in a real checkout.
 */
export function createTempRepo(options: { from?: string; branch?: string } = {}): TempRepo {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-pipeline-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'ada@example.com',
        GIT_COMMITTER_NAME: 'Ada',
        GIT_COMMITTER_EMAIL: 'ada@example.com',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: dir,
      },
    }).trim();
  git('init', '-q', '-b', options.branch ?? 'main');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/group/project.git');
  if (options.from) cpSync(options.from, dir, { recursive: true });
  const repo: TempRepo = {
    dir,
    git,
    write: (file, text) => writeFileSync(path.join(dir, file), text),
    commit: (message) => {
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    pushed: () => {
      git('update-ref', 'refs/remotes/origin/main', 'HEAD');
      git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
      git('config', 'branch.main.remote', 'origin');
      git('config', 'branch.main.merge', 'refs/heads/main');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return repo;
}
