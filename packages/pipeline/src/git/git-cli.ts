import { GitError } from '../errors.js';
import type { CommitFacts, GitFacts } from './git-facts.js';
import { type RunResult, runGit, runGitBatch } from './run-git.js';

/** One commit's facts in one line of `git log` output, fields separated by a unit separator. */
const SEPARATOR = '\x1f';
const commitArgs = (ref: string) => [
  'log',
  '-1',
  `--format=%H${SEPARATOR}%P${SEPARATOR}%an${SEPARATOR}%ae${SEPARATOR}%aI${SEPARATOR}%B`,
  ref,
  '--',
];

function parseCommit(output: string): CommitFacts {
  const [sha = '', parents = '', authorName = '', authorEmail = '', timestamp = '', ...body] =
    output.split(SEPARATOR);
  return {
    sha,
    parentSha: parents.split(' ').find((parent) => parent.length > 0),
    authorName,
    authorEmail,
    timestamp,
    message: body.join(SEPARATOR).replace(/\n+$/, ''),
  };
}

/** Answers already asked for (a promise per memo key of `createGitCli`). */
type Prefetched = ReadonlyMap<string, Promise<unknown>>;

/**
 * `GitFacts` from the repository at `root`, through `git` child processes. Answers are memoized
 * per instance, so one planning run asks git each question once.
 */
export function createGitCli(root: string): GitFacts {
  return createPrefetchedGitCli(root, new Map());
}

function createPrefetchedGitCli(root: string, prefetched: Prefetched): GitFacts {
  const memo = new Map<string, Promise<unknown>>(prefetched);
  const once = <T>(key: string, compute: () => Promise<T>): Promise<T> => {
    let value = memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      memo.set(key, value);
    }
    return value;
  };
  const must = async (args: readonly string[]): Promise<string> => (await mustAll([args]))[0]!;
  /** Several commands in one child process; the first that fails (in order) throws. */
  const mustAll = async (commands: readonly (readonly string[])[]): Promise<string[]> => {
    const results = await runGitBatch(root, commands);
    return results.map((result, index) => {
      if (result.code !== 0)
        throw new GitError(
          `git ${commands[index]!.join(' ')}`,
          result.stderr.trim() || `exit ${result.code}`,
        );
      return result.stdout;
    });
  };
  const maybe = async (args: readonly string[]): Promise<string | undefined> => {
    const result = await runGit(root, args);
    return result.code === 0 ? result.stdout.trim() : undefined;
  };
  const lines = (text: string) => text.split('\0').filter((line) => line.length > 0);

  const facts: GitFacts = {
    branch: () => once('branch', () => maybe(['symbolic-ref', '--quiet', '--short', 'HEAD'])),
    commit: (ref = 'HEAD') => once(`commit:${ref}`, async () => parseCommit(await must(commitArgs(ref)))),
    tagsAtHead: () =>
      once('tags', async () => {
        const output = await maybe(['tag', '--points-at', 'HEAD', '--sort=-creatordate']);
        return output ? output.split('\n').filter(Boolean) : [];
      }),
    defaultBranch: () =>
      once('default-branch', async () => {
        const prefetchedHead = (await memo.get('origin-head')) as string | undefined;
        if (prefetchedHead) return prefetchedHead.replace(/^origin\//, '');
        // Every fallback's question in one child process: a checkout without `origin/HEAD` (made
        // by `git init` rather than `git clone`) would otherwise pay four in a row.
        const answers = await runGitBatch(root, [
          ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'],
          ['config', '--get', 'init.defaultBranch'],
          ['rev-parse', '--verify', '--quiet', 'refs/heads/main'],
          ['rev-parse', '--verify', '--quiet', 'refs/heads/master'],
        ]);
        const [remoteHead, configured, main, master] = answers.map((answer) =>
          answer.code === 0 ? answer.stdout.trim() || undefined : undefined,
        );
        if (remoteHead) return remoteHead.replace(/^origin\//, '');
        if (configured) {
          const exists =
            configured === 'main'
              ? main
              : configured === 'master'
                ? master
                : await maybe(['rev-parse', '--verify', '--quiet', `refs/heads/${configured}`]);
          if (exists) return configured;
        }
        if (main) return 'main';
        if (master) return 'master';
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
        const outputs = await mustAll([
          ['diff', '--name-only', '-z', '--no-renames', range, '--'],
          ...(workingTree
            ? [
                ['diff', '--name-only', '-z', '--no-renames', 'HEAD', '--'],
                ['ls-files', '-z', '--others', '--exclude-standard'],
              ]
            : []),
        ]);
        return [...new Set(outputs.flatMap(lines))].sort();
      }),
    files: ({ includeUntracked }) =>
      once(`files:${includeUntracked}`, async () => {
        const args = includeUntracked
          ? ['ls-files', '-z', '--cached', '--others', '--exclude-standard']
          : ['ls-files', '-z', '--cached'];
        if (!includeUntracked) return [...new Set(lines(await must(args)))];
        // A tracked file deleted from the working tree is not in dirty mode's view of the project.
        const [listed = '', deletedOutput = ''] = await mustAll([args, ['ls-files', '-z', '--deleted']]);
        const deleted = new Set(lines(deletedOutput));
        return [...new Set(lines(listed).filter((file) => !deleted.has(file)))];
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
  if (result.code !== 0) throw notARepository(result);
  return result.stdout.trim();
}

function notARepository(result: RunResult): GitError {
  return new GitError('git rev-parse --show-toplevel', result.stderr.trim() || 'not a git repository');
}

export interface OpenedRepository {
  /** The repository's top level. */
  readonly root: string;
  readonly git: GitFacts;
}

/**
 * Finds the repository containing `dir` (as `findRepositoryRoot`) and asks, in the same child
 * process (`runGitBatch`), the questions every plan asks first: one `git rev-parse` answers the top
 * level, the current branch and `origin/HEAD`'s branch, then `git log` for HEAD's commit, `git
 * remote get-url origin` and (with `upstream`, for branch pipelines) `@{upstream}`: one child
 * process of Node instead of six. What the combined `rev-parse` cannot answer (an unborn HEAD, no
 * `origin/HEAD`) is asked later with the usual commands.
 */
export async function openGitRepository(
  dir: string,
  options: { readonly upstream?: boolean } = {},
): Promise<OpenedRepository> {
  const [answered, commit, remote, upstream] = await runGitBatch(dir, [
    ['rev-parse', '--show-toplevel', '--abbrev-ref', 'HEAD', 'refs/remotes/origin/HEAD'],
    commitArgs('HEAD'),
    ['remote', 'get-url', 'origin'],
    ...(options.upstream ? [['rev-parse', '--verify', '--quiet', '@{upstream}']] : []),
  ]);
  if (!answered || !commit || !remote) throw new GitError('git rev-parse --show-toplevel', 'no answer');
  const [root, head, originHead] = answered.stdout.split('\n');
  if (!root) throw notARepository(answered);
  const prefetched = new Map<string, Promise<unknown>>();
  // rev-parse prints a name it cannot resolve as it is and fails at the end: only a full success
  // tells the branch (`HEAD` when detached) and `origin/HEAD`'s target (itself when it is not a
  // symbolic ref). Otherwise (an unborn HEAD, no `origin/HEAD`) the usual commands are asked.
  if (answered.code === 0 && head && originHead) {
    prefetched.set('branch', Promise.resolve(head === 'HEAD' ? undefined : head));
    if (originHead.startsWith('origin/') && originHead !== 'origin/HEAD')
      prefetched.set('origin-head', Promise.resolve(originHead));
  }
  const headCommit =
    commit.code === 0
      ? Promise.resolve(parseCommit(commit.stdout))
      : Promise.reject(
          new GitError(`git ${commitArgs('HEAD').join(' ')}`, commit.stderr.trim() || `exit ${commit.code}`),
        );
  // A caller that never asks for the commit must not see its failure as an unhandled rejection.
  headCommit.catch(() => undefined);
  prefetched.set('commit:HEAD', headCommit);
  prefetched.set('remote', Promise.resolve(remote.code === 0 ? remote.stdout.trim() : undefined));
  if (upstream)
    prefetched.set('upstream', Promise.resolve(upstream.code === 0 ? upstream.stdout.trim() : undefined));
  return { root, git: createPrefetchedGitCli(root, prefetched) };
}
