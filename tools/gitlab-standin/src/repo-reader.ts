import { git, gitOk } from './git.js';

export interface CommitInfo {
  readonly id: string;
  readonly title: string;
  readonly message: string;
  readonly committedDate: string;
}

export interface TreeItem {
  readonly id: string;
  readonly name: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly path: string;
  readonly mode: string;
}

/**
 * Reads a bare repository the way GitLab's Gitaly answers the API: refs resolved as git resolves
 * them (a tag before a branch of the same name), files and trees at a commit.
 */
export class RepoReader {
  constructor(readonly gitDir: string) {}

  /** A branch, tag or (short) SHA to its commit; `undefined` when git knows no such commit. */
  async resolve(ref: string): Promise<string | undefined> {
    if (ref.startsWith('-') || ref.length === 0) return undefined;
    const result = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], {
      cwd: this.gitDir,
    });
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }

  /** Only `refs/heads/<name>`. */
  async branch(name: string): Promise<string | undefined> {
    return this.#ref(`refs/heads/${name}`);
  }

  /** Only `refs/tags/<name>`: the commit, and the tag object for an annotated tag. */
  async tag(name: string): Promise<{ commit: string; target: string; message: string | null } | undefined> {
    const commit = await this.#ref(`refs/tags/${name}`);
    if (!commit) return undefined;
    const target = (await gitOk(['rev-parse', `refs/tags/${name}`], { cwd: this.gitDir })).trim();
    const message =
      target === commit
        ? null
        : (await gitOk(['tag', '--list', '--format=%(contents)', name], { cwd: this.gitDir })).trim();
    return { commit, target, message };
  }

  async commit(sha: string): Promise<CommitInfo> {
    const raw = await gitOk(['show', '--no-patch', '--format=%H%x00%s%x00%B%x00%cI', sha], {
      cwd: this.gitDir,
    });
    const [id, title, message, committedDate] = raw.split('\0');
    return { id: id!, title: title!, message: message!.trimEnd(), committedDate: committedDate!.trim() };
  }

  /** A file's bytes at a commit; `undefined` when it is not a file there. */
  async file(sha: string, path: string): Promise<Buffer | undefined> {
    const type = await git(['cat-file', '-t', `${sha}:${path}`], { cwd: this.gitDir });
    if (type.code !== 0 || type.stdout.toString('utf8').trim() !== 'blob') return undefined;
    return (await git(['cat-file', 'blob', `${sha}:${path}`], { cwd: this.gitDir })).stdout;
  }

  /** `git ls-tree` under `path` (all of the repository when empty), sorted as GitLab sorts: trees first. */
  async tree(sha: string, path: string, recursive: boolean): Promise<TreeItem[] | undefined> {
    const prefix = path.replace(/^\/+|\/+$/g, '');
    if (prefix) {
      const type = await git(['cat-file', '-t', `${sha}:${prefix}`], { cwd: this.gitDir });
      if (type.code !== 0 || type.stdout.toString('utf8').trim() !== 'tree') return undefined;
    }
    const args = [
      'ls-tree',
      '-z',
      ...(recursive ? ['-r', '-t'] : []),
      sha,
      ...(prefix ? ['--', `${prefix}/`] : []),
    ];
    const listing = (await gitOk(args, { cwd: this.gitDir })).split('\0').filter(Boolean);
    const items = listing.map((line) => {
      const [meta, itemPath] = line.split('\t') as [string, string];
      const [mode, type, id] = meta.split(' ') as [string, TreeItem['type'], string];
      return { id, name: itemPath.split('/').at(-1)!, type, path: itemPath, mode };
    });
    return items.sort((a, b) =>
      a.type === b.type ? a.path.localeCompare(b.path) : a.type === 'tree' ? -1 : b.type === 'tree' ? 1 : 0,
    );
  }

  async #ref(fullName: string): Promise<string | undefined> {
    const result = await git(['rev-parse', '--verify', '--quiet', `${fullName}^{commit}`], {
      cwd: this.gitDir,
    });
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }
}
