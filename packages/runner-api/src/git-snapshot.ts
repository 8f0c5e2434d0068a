import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NotFoundError } from './errors.js';

const run = promisify(execFile);

/**
 * Commands on the user's repository trust it even when another uid owns it (a bind mount in the
 * mock's container); command-line config counts as protected configuration for this setting.
 */
export const TRUST = ['-c', 'safe.directory=*'];

const SNAPSHOT_IDENTITY = {
  GIT_AUTHOR_NAME: 'glci',
  GIT_AUTHOR_EMAIL: 'glci@localhost',
  GIT_COMMITTER_NAME: 'glci',
  GIT_COMMITTER_EMAIL: 'glci@localhost',
};

export interface SnapshotOptions {
  readonly repoDir: string;
  /** Where the snapshot's new objects (blobs, trees, the commit) are written. */
  readonly objectDir: string;
  /** The user's object directory, read through as an alternate. */
  readonly userObjects: string;
  readonly gitBinary?: string;
}

/** The user's object directory (`.git/objects`, or a bare repository's `objects`). */
export async function userObjectsDir(repoDir: string, gitBinary = 'git'): Promise<string> {
  try {
    const { stdout } = await run(gitBinary, [
      ...TRUST,
      '-C',
      repoDir,
      'rev-parse',
      '--path-format=absolute',
      '--git-common-dir',
    ]);
    return path.join(stdout.trim(), 'objects');
  } catch {
    throw new NotFoundError(`${repoDir} is not a git repository`);
  }
}

/** The commit `rev` names in the user's repository. */
export async function resolveCommit(repoDir: string, rev: string, gitBinary = 'git'): Promise<string> {
  try {
    const { stdout } = await run(gitBinary, [
      ...TRUST,
      '-C',
      repoDir,
      'rev-parse',
      '--verify',
      '--quiet',
      `${rev}^{commit}`,
    ]);
    return stdout.trim();
  } catch {
    throw new NotFoundError(`revision ${rev} not found in ${repoDir}`);
  }
}

/**
 * Commits the work tree (as `git add -A` sees it: uncommitted and untracked-but-not-ignored files)
 * on top of HEAD, without touching the user's repository: plumbing with a temporary index
 * (`add --all`, `write-tree`, `commit-tree`), and every new object written to `objectDir`. Returns
 * HEAD itself when the work tree is clean.
 */
export async function snapshotWorkTree(
  options: SnapshotOptions,
): Promise<{ sha: string; snapshot: boolean }> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'glci-snapshot-'));
  const env = {
    ...process.env,
    ...SNAPSHOT_IDENTITY,
    GIT_INDEX_FILE: path.join(tmp, 'index'),
    GIT_OBJECT_DIRECTORY: options.objectDir,
    GIT_ALTERNATE_OBJECT_DIRECTORIES: options.userObjects,
    GIT_OPTIONAL_LOCKS: '0',
  };
  const git = async (args: string[]) =>
    (
      await run(options.gitBinary ?? 'git', [...TRUST, '-C', options.repoDir, ...args], {
        env,
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout.trim();
  try {
    let parent: string | undefined;
    try {
      parent = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    } catch {
      parent = undefined; // a repository without commits yet
    }
    // Start from a copy of the user's index (read only) so unchanged files are not re-hashed;
    // without one, from HEAD's tree. `add --all` then makes it match the work tree either way.
    const userIndex = await git(['rev-parse', '--path-format=absolute', '--git-path', 'index']);
    const copied = await copyFile(userIndex, env.GIT_INDEX_FILE).then(
      () => true,
      () => false,
    );
    if (!copied) await git(parent ? ['read-tree', parent] : ['read-tree', '--empty']);
    await git(['add', '--all']);
    const tree = await git(['write-tree']);
    if (parent && (await git(['rev-parse', `${parent}^{tree}`])) === tree)
      return { sha: parent, snapshot: false };
    const args = ['commit-tree', tree, '-m', 'glci: working tree snapshot (uncommitted changes)'];
    if (parent) args.push('-p', parent);
    return { sha: await git(args), snapshot: true };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
