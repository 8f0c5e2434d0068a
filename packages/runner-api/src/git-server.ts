import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BadRequestError, NotFoundError } from './errors.js';
import { projectPathSchema } from './schemas.js';

const run = promisify(execFile);

/**
 * Commands on the user's repository trust it even when another uid owns it (a bind mount in the
 * mock's container); command-line config counts as protected configuration for this setting.
 */
const TRUST = ['-c', 'safe.directory=*'];

export interface PublishOptions {
  readonly projectPath: string;
  /** The user's repository (its work tree, or a bare repository unless `dirty`). */
  readonly repoDir: string;
  /** Branch or tag name served to the job. */
  readonly ref: string;
  readonly refType?: 'branch' | 'tag';
  readonly pipelineId: number;
  /** Commit to serve; defaults to `HEAD`. Ignored when `dirty` (the snapshot's parent is HEAD). */
  readonly rev?: string;
  /** Serve the work tree, uncommitted and untracked-but-not-ignored files included, as a commit. */
  readonly dirty?: boolean;
}

export interface Published {
  readonly sha: string;
  readonly ref: string;
  /** True when `dirty` produced a new commit (the work tree differed from HEAD). */
  readonly snapshot: boolean;
}

const SNAPSHOT_IDENTITY = {
  GIT_AUTHOR_NAME: 'glci',
  GIT_AUTHOR_EMAIL: 'glci@localhost',
  GIT_COMMITTER_NAME: 'glci',
  GIT_COMMITTER_EMAIL: 'glci@localhost',
};

/**
 * The repositories glci serves over smart HTTP. Each project gets a bare *serving* repository
 * whose object store borrows the user's objects through `objects/info/alternates`; only its refs
 * (`refs/heads/<ref>` or `refs/tags/<ref>`, and `refs/pipelines/<id>`) are written, so the user's
 * repository, index and HEAD are never touched. A dirty snapshot is built with plumbing (a
 * temporary index, `write-tree`, `commit-tree`) and its new objects land in the serving repository.
 *
 * Layout: `<root>/<group>/<project>.git/` (bare).
 */
export class GitServer {
  readonly #root: string;
  readonly #git: string;

  constructor(options: { root: string; gitBinary?: string }) {
    this.#root = options.root;
    this.#git = options.gitBinary ?? 'git';
  }

  /** The serving repository of a project, or undefined when nothing was published for it. */
  async repository(projectPath: string): Promise<string | undefined> {
    if (!projectPathSchema.safeParse(projectPath).success) return undefined;
    const dir = this.#servingDir(projectPath);
    try {
      return (await stat(path.join(dir, 'HEAD'))).isFile() ? dir : undefined;
    } catch {
      return undefined;
    }
  }

  async publish(options: PublishOptions): Promise<Published> {
    const projectPath = projectPathSchema.parse(options.projectPath);
    const refType = options.refType ?? 'branch';
    const fullRef = `refs/${refType === 'tag' ? 'tags' : 'heads'}/${options.ref}`;
    await this.#checkRef(fullRef);
    if (!Number.isSafeInteger(options.pipelineId) || options.pipelineId <= 0) {
      throw new BadRequestError('pipelineId must be a positive integer');
    }
    const userObjects = await this.#objectsDir(options.repoDir);
    const serving = this.#servingDir(projectPath);
    await this.#ensureServing(serving, userObjects);

    let sha: string;
    let snapshot = false;
    if (options.dirty) {
      ({ sha, snapshot } = await this.#snapshot(options.repoDir, serving, userObjects));
    } else {
      sha = await this.#revParse(options.repoDir, `${options.rev ?? 'HEAD'}^{commit}`);
    }
    await this.#gitIn(serving, ['update-ref', fullRef, sha]);
    await this.#gitIn(serving, ['update-ref', `refs/pipelines/${options.pipelineId}`, sha]);
    await this.#gitIn(serving, ['symbolic-ref', 'HEAD', fullRef]);
    return { sha, ref: fullRef, snapshot };
  }

  #servingDir(projectPath: string): string {
    return path.join(this.#root, `${projectPath}.git`);
  }

  async #ensureServing(serving: string, userObjects: string): Promise<void> {
    await mkdir(serving, { recursive: true });
    try {
      await stat(path.join(serving, 'HEAD'));
    } catch {
      await run(this.#git, ['init', '--bare', '--quiet', serving]);
    }
    await mkdir(path.join(serving, 'objects', 'info'), { recursive: true });
    await writeFile(path.join(serving, 'objects', 'info', 'alternates'), `${userObjects}\n`);
  }

  async #objectsDir(repoDir: string): Promise<string> {
    try {
      const { stdout } = await run(this.#git, [
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

  async #revParse(repoDir: string, rev: string): Promise<string> {
    try {
      const { stdout } = await run(this.#git, [
        ...TRUST,
        '-C',
        repoDir,
        'rev-parse',
        '--verify',
        '--quiet',
        rev,
      ]);
      return stdout.trim();
    } catch {
      throw new NotFoundError(`revision ${rev} not found in ${repoDir}`);
    }
  }

  async #checkRef(ref: string): Promise<void> {
    try {
      await run(this.#git, ['check-ref-format', ref]);
    } catch {
      throw new BadRequestError(`invalid ref name: ${ref}`);
    }
  }

  async #gitIn(gitDir: string, args: string[]): Promise<string> {
    const { stdout } = await run(this.#git, [`--git-dir=${gitDir}`, ...args]);
    return stdout.trim();
  }

  /** Commits the work tree (as `git add -A` sees it) on top of HEAD, without touching the user's repo. */
  async #snapshot(
    repoDir: string,
    serving: string,
    userObjects: string,
  ): Promise<{ sha: string; snapshot: boolean }> {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'glci-snapshot-'));
    const env = {
      ...process.env,
      ...SNAPSHOT_IDENTITY,
      GIT_INDEX_FILE: path.join(tmp, 'index'),
      GIT_OBJECT_DIRECTORY: path.join(serving, 'objects'),
      GIT_ALTERNATE_OBJECT_DIRECTORIES: userObjects,
      GIT_OPTIONAL_LOCKS: '0',
    };
    const git = async (args: string[]) =>
      (
        await run(this.#git, [...TRUST, '-C', repoDir, ...args], { env, maxBuffer: 64 * 1024 * 1024 })
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
}
