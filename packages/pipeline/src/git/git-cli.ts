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

/** What `defaultBranch` asks: `origin/HEAD`, `init.defaultBranch`, and whether `main` and `master` exist. */
const DEFAULT_BRANCH_QUESTIONS: readonly (readonly string[])[] = [
  ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'],
  ['config', '--get', 'init.defaultBranch'],
  ['rev-parse', '--verify', '--quiet', 'refs/heads/main'],
  ['rev-parse', '--verify', '--quiet', 'refs/heads/master'],
];

/**
 * The default branch from the answers to `DEFAULT_BRANCH_QUESTIONS`: `origin/HEAD`'s branch, else
 * `init.defaultBranch` if that branch exists, else `main`, else `master`.
 */
async function defaultBranchFrom(
  answers: readonly RunResult[],
  maybe: (args: readonly string[]) => Promise<string | undefined>,
): Promise<string | undefined> {
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
}

/** A command's trimmed output, or undefined when it fails. */
async function maybeGit(root: string, args: readonly string[]): Promise<string | undefined> {
  const result = await runGit(root, args);
  return result.code === 0 ? result.stdout.trim() : undefined;
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
  const maybe = (args: readonly string[]) => maybeGit(root, args);
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
        // Every fallback's question in one child process: a checkout without `origin/HEAD` (made
        // by `git init` rather than `git clone`) would otherwise pay four in a row.
        const answers = await runGitBatch(root, DEFAULT_BRANCH_QUESTIONS);
        return defaultBranchFrom(answers, maybe);
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
  /** The answers to `OpenRepositoryOptions.also`, in order. */
  readonly also: readonly RunResult[];
}

export interface OpenRepositoryOptions {
  /** Also ask for `@{upstream}` (branch pipelines use it). */
  readonly upstream?: boolean;
  /** More git commands the caller would otherwise run in a child process of its own. */
  readonly also?: readonly (readonly string[])[];
}

/**
 * Finds the repository containing `dir` (as `findRepositoryRoot`) and asks, in the same child
 * process (`runGitBatch`), the questions every plan asks: the top level, the current branch, the
 * default branch (`origin/HEAD` and its fallbacks), HEAD's commit, `git remote get-url origin`,
 * with `upstream` (for branch pipelines) `@{upstream}`, and the caller's own (`also`): one child
 * process of Node instead of one per question. Each is the command `createGitCli` runs for it, so
 * the answers are the same.
 */
export async function openGitRepository(
  dir: string,
  options: OpenRepositoryOptions = {},
): Promise<OpenedRepository> {
  const also = options.also ?? [];
  const answers = await runGitBatch(dir, [
    ['rev-parse', '--show-toplevel'],
    ['symbolic-ref', '--quiet', '--short', 'HEAD'],
    commitArgs('HEAD'),
    ['remote', 'get-url', 'origin'],
    ...DEFAULT_BRANCH_QUESTIONS,
    ...also,
    ...(options.upstream ? [['rev-parse', '--verify', '--quiet', '@{upstream}']] : []),
  ]);
  const [answered, branch, commit, remote] = answers;
  if (!answered || !branch || !commit || !remote)
    throw new GitError('git rev-parse --show-toplevel', 'no answer');
  const root = answered.stdout.trim();
  if (answered.code !== 0 || !root) throw notARepository(answered);
  const trimmed = (result: RunResult) => (result.code === 0 ? result.stdout.trim() : undefined);
  // The answers come in the order asked: the four above, then each group in turn.
  const alsoStart = 4 + DEFAULT_BRANCH_QUESTIONS.length;
  const defaultAnswers = answers.slice(4, alsoStart);
  const alsoAnswers = answers.slice(alsoStart, alsoStart + also.length);
  const upstream = options.upstream ? answers.at(-1) : undefined;
  const prefetched = new Map<string, Promise<unknown>>();
  prefetched.set('branch', Promise.resolve(trimmed(branch)));
  prefetched.set(
    'default-branch',
    defaultBranchFrom(defaultAnswers, (args) => maybeGit(root, args)),
  );
  const headCommit =
    commit.code === 0
      ? Promise.resolve(parseCommit(commit.stdout))
      : Promise.reject(
          new GitError(`git ${commitArgs('HEAD').join(' ')}`, commit.stderr.trim() || `exit ${commit.code}`),
        );
  // A caller that never asks for the commit must not see its failure as an unhandled rejection.
  headCommit.catch(() => undefined);
  prefetched.set('commit:HEAD', headCommit);
  prefetched.set('remote', Promise.resolve(trimmed(remote)));
  if (upstream) prefetched.set('upstream', Promise.resolve(trimmed(upstream)));
  return { root, git: createPrefetchedGitCli(root, prefetched), also: alsoAnswers };
}
