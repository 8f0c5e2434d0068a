import { execFile } from 'node:child_process';
import { GitError } from '../errors.js';
import type { CommitFacts, GitFacts } from './git-facts.js';

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one git command in `cwd`; never throws for a non-zero exit (the caller decides). */
function runGit(cwd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args as string[],
      { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new GitError(`git ${args.join(' ')}`, error.message));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * `GitFacts` from the repository at `root`, through `git` child processes. Answers are memoized
 * per instance, so one planning run asks git each question once.
 */
export function createGitCli(root: string): GitFacts {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, compute: () => Promise<T>): Promise<T> => {
    let value = memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      memo.set(key, value);
    }
    return value;
  };
  const must = async (args: readonly string[]): Promise<string> => {
    const result = await runGit(root, args);
    if (result.code !== 0)
      throw new GitError(`git ${args.join(' ')}`, result.stderr.trim() || `exit ${result.code}`);
    return result.stdout;
  };
  const maybe = async (args: readonly string[]): Promise<string | undefined> => {
    const result = await runGit(root, args);
    return result.code === 0 ? result.stdout.trim() : undefined;
  };
  const lines = (text: string) => text.split('\0').filter((line) => line.length > 0);

  const facts: GitFacts = {
    branch: () => once('branch', () => maybe(['symbolic-ref', '--quiet', '--short', 'HEAD'])),
    commit: (ref = 'HEAD') =>
      once(`commit:${ref}`, async () => {
        const separator = '\x1f';
        const output = await must([
          'log',
          '-1',
          `--format=%H${separator}%P${separator}%an${separator}%ae${separator}%aI${separator}%B`,
          ref,
          '--',
        ]);
        const [sha = '', parents = '', authorName = '', authorEmail = '', timestamp = '', ...body] =
          output.split(separator);
        return {
          sha,
          parentSha: parents.split(' ').find((parent) => parent.length > 0),
          authorName,
          authorEmail,
          timestamp,
          message: body.join(separator).replace(/\n+$/, ''),
        } satisfies CommitFacts;
      }),
    tagsAtHead: () =>
      once('tags', async () => {
        const output = await maybe(['tag', '--points-at', 'HEAD', '--sort=-creatordate']);
        return output ? output.split('\n').filter(Boolean) : [];
      }),
    defaultBranch: () =>
      once('default-branch', async () => {
        const remoteHead = await maybe(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
        if (remoteHead) return remoteHead.replace(/^origin\//, '');
        const configured = await maybe(['config', '--get', 'init.defaultBranch']);
        if (configured && (await maybe(['rev-parse', '--verify', '--quiet', `refs/heads/${configured}`])))
          return configured;
        for (const candidate of ['main', 'master']) {
          if (await maybe(['rev-parse', '--verify', '--quiet', `refs/heads/${candidate}`])) return candidate;
        }
        return undefined;
      }),
    upstreamSha: () => once('upstream', () => maybe(['rev-parse', '--verify', '--quiet', '@{upstream}'])),
    resolve: (ref) =>
      once(`resolve:${ref}`, async () => {
        for (const candidate of [ref, `origin/${ref}`]) {
          const sha = await maybe(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]);
          if (sha) return sha;
        }
        return undefined;
      }),
    mergeBase: (a, b) => once(`merge-base:${a}:${b}`, () => maybe(['merge-base', a, b])),
    changedFiles: ({ base, mergeBase, workingTree }) =>
      once(`changed:${base}:${mergeBase}:${workingTree}`, async () => {
        const range = mergeBase ? `${base}...HEAD` : `${base}..HEAD`;
        const changed = new Set(
          lines(await must(['diff', '--name-only', '-z', '--no-renames', range, '--'])),
        );
        if (workingTree) {
          for (const file of lines(await must(['diff', '--name-only', '-z', '--no-renames', 'HEAD', '--'])))
            changed.add(file);
          for (const file of lines(await must(['ls-files', '-z', '--others', '--exclude-standard'])))
            changed.add(file);
        }
        return [...changed].sort();
      }),
    files: ({ includeUntracked }) =>
      once(`files:${includeUntracked}`, async () => {
        const args = includeUntracked
          ? ['ls-files', '-z', '--cached', '--others', '--exclude-standard']
          : ['ls-files', '-z', '--cached'];
        const listed = lines(await must(args));
        if (!includeUntracked) return [...new Set(listed)];
        // A tracked file deleted from the working tree is not in dirty mode's view of the project.
        const deleted = new Set(lines(await must(['ls-files', '-z', '--deleted'])));
        return [...new Set(listed.filter((file) => !deleted.has(file)))];
      }),
    show: (ref, file) =>
      once(`show:${ref}:${file}`, async () => {
        const result = await runGit(root, ['show', `${ref}:${file}`]);
        return result.code === 0 ? result.stdout : undefined;
      }),
    lastCommitFor: (file) =>
      once(
        `last:${file}`,
        async () => (await maybe(['log', '-1', '--format=%H', 'HEAD', '--', file])) || undefined,
      ),
    remoteUrl: () => once('remote', () => maybe(['remote', 'get-url', 'origin'])),
  };
  return facts;
}

/** The top level of the repository containing `dir`; throws `GitError` outside a repository. */
export async function findRepositoryRoot(dir: string): Promise<string> {
  const result = await runGit(dir, ['rev-parse', '--show-toplevel']);
  if (result.code !== 0)
    throw new GitError('git rev-parse --show-toplevel', result.stderr.trim() || 'not a git repository');
  return result.stdout.trim();
}
