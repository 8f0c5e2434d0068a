import { execFile, spawn } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BadRequestError } from './errors.js';
import { resolveCommit, snapshotWorkTree, userObjectsDir } from './git-snapshot.js';
import { projectPathSchema } from './schemas.js';

const run = promisify(execFile);

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

/** Where a received pack's commit goes: the ref jobs fetch and the pipeline's own ref. */
export interface ReceiveOptions {
  readonly projectPath: string;
  /** The commit the pack carries (with everything it needs that the server lacks). */
  readonly sha: string;
  readonly ref: string;
  readonly refType?: 'branch' | 'tag';
  readonly pipelineId: number;
}

/**
 * The repositories glci serves over smart HTTP. Each project gets a bare *serving* repository;
 * only its refs (`refs/heads/<ref>` or `refs/tags/<ref>`, and `refs/pipelines/<id>`) are written,
 * so the user's repository, index and HEAD are never touched. Content arrives one of two ways:
 *
 * - `publish`: the server can read the user's repository (same host); the serving repository
 *   borrows the user's objects through `objects/info/alternates`, and a dirty snapshot's new
 *   objects (`snapshotWorkTree`) land in the serving repository.
 * - `receivePack`: the server runs elsewhere (the mock in a container, maybe on a remote Docker
 *   host); the client sends a pack built with `packRepository`, holding what the server lacks
 *   (`knownCommits`), which is indexed into the serving repository.
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
    this.#checkPipelineId(options.pipelineId);
    const userObjects = await userObjectsDir(options.repoDir, this.#git);
    const serving = this.#servingDir(projectPath);
    await this.#ensureServing(serving);
    await writeFile(path.join(serving, 'objects', 'info', 'alternates'), `${userObjects}\n`);

    let sha: string;
    let snapshot = false;
    if (options.dirty) {
      ({ sha, snapshot } = await snapshotWorkTree({
        repoDir: options.repoDir,
        objectDir: path.join(serving, 'objects'),
        userObjects,
        gitBinary: this.#git,
      }));
    } else {
      sha = await resolveCommit(options.repoDir, options.rev ?? 'HEAD', this.#git);
    }
    await this.#pointRefs(serving, fullRef, sha, options.pipelineId);
    return { sha, ref: fullRef, snapshot };
  }

  /**
   * Indexes a pack from `packRepository` into the project's serving repository (a thin pack may
   * lean on objects the repository has), checks that the commit and everything it reaches are
   * there, then points the refs at it. A pack that does not deliver the commit changes no ref.
   */
  async receivePack(pack: Readable, options: ReceiveOptions): Promise<Published> {
    const projectPath = projectPathSchema.parse(options.projectPath);
    if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(options.sha))
      throw new BadRequestError('sha must be a full commit id');
    const refType = options.refType ?? 'branch';
    const fullRef = `refs/${refType === 'tag' ? 'tags' : 'heads'}/${options.ref}`;
    await this.#checkRef(fullRef);
    this.#checkPipelineId(options.pipelineId);
    const serving = this.#servingDir(projectPath);
    await this.#ensureServing(serving);
    await this.#indexPack(serving, pack);
    try {
      // Every object the commit reaches must be here now, not only the commit itself.
      await this.#gitIn(serving, ['rev-list', '--objects', '--quiet', options.sha, '--not', '--all']);
      await this.#gitIn(serving, ['cat-file', '-e', `${options.sha}^{commit}`]);
    } catch {
      throw new BadRequestError(`the pack does not deliver commit ${options.sha} and all it needs`);
    }
    await this.#pointRefs(serving, fullRef, options.sha, options.pipelineId);
    return { sha: options.sha, ref: fullRef, snapshot: false };
  }

  /**
   * Points a pipeline's refs at a commit the project's serving repository already has: a child
   * pipeline runs on its parent's commit, under a pipeline ref of its own.
   */
  async pointRefs(options: ReceiveOptions): Promise<Published> {
    const serving = await this.repository(options.projectPath);
    const refType = options.refType ?? 'branch';
    const fullRef = `refs/${refType === 'tag' ? 'tags' : 'heads'}/${options.ref}`;
    await this.#checkRef(fullRef);
    this.#checkPipelineId(options.pipelineId);
    if (!serving || !/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(options.sha)) {
      throw new BadRequestError(`no commit ${options.sha} is served for ${options.projectPath}`);
    }
    try {
      await this.#gitIn(serving, ['cat-file', '-e', `${options.sha}^{commit}`]);
    } catch {
      throw new BadRequestError(`no commit ${options.sha} is served for ${options.projectPath}`);
    }
    await this.#pointRefs(serving, fullRef, options.sha, options.pipelineId);
    return { sha: options.sha, ref: fullRef, snapshot: false };
  }

  /** The commits the project's serving repository has refs for: what a client need not send again. */
  async knownCommits(projectPath: string): Promise<string[]> {
    const serving = await this.repository(projectPath);
    if (!serving) return [];
    const out = await this.#gitIn(serving, ['for-each-ref', '--format=%(objectname)', 'refs/']);
    return [...new Set(out.split('\n').filter(Boolean))];
  }

  #checkPipelineId(pipelineId: number): void {
    if (!Number.isSafeInteger(pipelineId) || pipelineId <= 0) {
      throw new BadRequestError('pipelineId must be a positive integer');
    }
  }

  async #pointRefs(serving: string, fullRef: string, sha: string, pipelineId: number): Promise<void> {
    await this.#gitIn(serving, ['update-ref', fullRef, sha]);
    await this.#gitIn(serving, ['update-ref', `refs/pipelines/${pipelineId}`, sha]);
    await this.#gitIn(serving, ['symbolic-ref', 'HEAD', fullRef]);
  }

  /** `git index-pack --stdin --fix-thin` in the serving repository, fed from `pack`. */
  #indexPack(serving: string, pack: Readable): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#git, [`--git-dir=${serving}`, 'index-pack', '--stdin', '--fix-thin'], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      pack.on('error', (error) => {
        child.kill('SIGKILL');
        reject(error);
      });
      child.stdin.on('error', () => {}); // a refused pack closes stdin early; the exit code says why
      pack.pipe(child.stdin);
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve();
        else reject(new BadRequestError(`not a valid git pack: ${stderr.trim().split('\n').at(-1) ?? code}`));
      });
    });
  }

  #servingDir(projectPath: string): string {
    return path.join(this.#root, `${projectPath}.git`);
  }

  async #ensureServing(serving: string): Promise<void> {
    await mkdir(serving, { recursive: true });
    try {
      await stat(path.join(serving, 'HEAD'));
    } catch {
      await run(this.#git, ['init', '--bare', '--quiet', serving]);
    }
    await mkdir(path.join(serving, 'objects', 'info'), { recursive: true });
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
}
