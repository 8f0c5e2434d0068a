import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import { resolveCommit, snapshotWorkTree, TRUST, userObjectsDir } from './git-snapshot.js';

const run = promisify(execFile);

export interface PackOptions {
  /** The user's repository. */
  readonly repoDir: string;
  /** Commit to send; defaults to `HEAD`. Ignored when `dirty` (the snapshot's parent is HEAD). */
  readonly rev?: string;
  /** Send the work tree, uncommitted and untracked-but-not-ignored files included, as a commit. */
  readonly dirty?: boolean;
  /** Commits the receiver has (`GitServer.knownCommits`); their objects are left out. */
  readonly exclude?: readonly string[];
  readonly gitBinary?: string;
}

export interface RepositoryPack {
  readonly sha: string;
  /** True when `dirty` produced a new commit (the work tree differed from HEAD). */
  readonly snapshot: boolean;
  /** The pack (`git pack-objects --thin`): stream it to `GitServer.receivePack`. */
  readonly pack: Readable;
}

/**
 * Builds, on the user's side, what a remote `GitServer` needs to serve `rev` (or the dirty work
 * tree): the commit and a thin pack of every object it reaches that the receiver lacks. A dirty
 * snapshot's objects go to a temporary object directory, never into the user's repository; it is
 * removed once the pack has been read (or has failed).
 */
export async function packRepository(options: PackOptions): Promise<RepositoryPack> {
  const git = options.gitBinary ?? 'git';
  const userObjects = await userObjectsDir(options.repoDir, git);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'glci-pack-'));
  const objectDir = path.join(tmp, 'objects');
  await mkdir(objectDir);
  try {
    const { sha, snapshot } = options.dirty
      ? await snapshotWorkTree({ repoDir: options.repoDir, objectDir, userObjects, gitBinary: git })
      : { sha: await resolveCommit(options.repoDir, options.rev ?? 'HEAD', git), snapshot: false };
    const env = {
      ...process.env,
      GIT_OBJECT_DIRECTORY: objectDir,
      GIT_ALTERNATE_OBJECT_DIRECTORIES: userObjects,
    };
    const exclude = await presentCommits(options.repoDir, options.exclude ?? [], git, env);
    const child = spawn(
      git,
      [
        ...TRUST,
        '-C',
        options.repoDir,
        'pack-objects',
        '--stdout',
        '--revs',
        '--thin',
        '--delta-base-offset',
        '-q',
      ],
      { env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stdin.end(`${sha}\n${exclude.map((commit) => `^${commit}\n`).join('')}`);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const pack = new PassThrough();
    child.stdout.pipe(pack, { end: false });
    const cleanup = () => rm(tmp, { recursive: true, force: true });
    child.on('error', (error) => {
      pack.destroy(error);
      void cleanup();
    });
    child.on('close', (code) => {
      void cleanup();
      if (code === 0) pack.end();
      else pack.destroy(new Error(`git pack-objects failed (${code}): ${stderr.trim()}`));
    });
    return { sha, snapshot, pack };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** The excluded commits this repository actually has (`pack-objects` fails on unknown ones). */
async function presentCommits(
  repoDir: string,
  commits: readonly string[],
  git: string,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const present: string[] = [];
  for (const commit of commits) {
    if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(commit)) continue;
    try {
      await run(git, [...TRUST, '-C', repoDir, 'cat-file', '-e', `${commit}^{commit}`], { env });
      present.push(commit);
    } catch {
      // Not here (another clone's commit): it cannot be a base, so it needs no exclusion.
    }
  }
  return present;
}
