/** The commit a pipeline runs for, as git reports it. */
export interface CommitFacts {
  readonly sha: string;
  /** The parent's SHA, or undefined for a root commit. */
  readonly parentSha: string | undefined;
  readonly message: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** ISO 8601 with offset, as GitLab prints `CI_COMMIT_TIMESTAMP`. */
  readonly timestamp: string;
}

/**
 * What planning needs to know about a repository. `createGitCli` answers through `git` child
 * processes; tests use fixtures. Every method may be called many times: implementations memoize.
 */
export interface GitFacts {
  /** The current branch, or undefined when HEAD is detached. */
  branch(): Promise<string | undefined>;
  /** The commit at `ref` (default HEAD). */
  commit(ref?: string): Promise<CommitFacts>;
  /** The tags that point at HEAD, newest first. */
  tagsAtHead(): Promise<readonly string[]>;
  /** `origin/HEAD`'s branch, else `init.defaultBranch`, else `main` or `master` if it exists. */
  defaultBranch(): Promise<string | undefined>;
  /** The branch's upstream (`@{upstream}`) commit, or undefined. */
  upstreamSha(): Promise<string | undefined>;
  /** The commit a ref names, or undefined if it names none. */
  resolve(ref: string): Promise<string | undefined>;
  /** The merge base of two commits, or undefined. */
  mergeBase(a: string, b: string): Promise<string | undefined>;
  /**
   * Files that differ between `base` and HEAD (`mergeBase: true` compares with the merge base, as
   * a merge request's diff does), plus staged, unstaged and untracked non-ignored changes when
   * `workingTree` is set.
   */
  changedFiles(options: {
    base: string;
    mergeBase: boolean;
    workingTree: boolean;
  }): Promise<readonly string[]>;
  /** Tracked files, plus untracked non-ignored ones when `includeUntracked` is set. */
  files(options: { includeUntracked: boolean }): Promise<readonly string[]>;
  /** A file's text at a commit, or undefined when it does not exist there. */
  show(ref: string, file: string): Promise<string | undefined>;
  /** The last commit at or before HEAD that changed `file` (a pathspec), or undefined. */
  lastCommitFor(file: string): Promise<string | undefined>;
  /** The URL of the `origin` remote, or undefined. */
  remoteUrl(): Promise<string | undefined>;
}
