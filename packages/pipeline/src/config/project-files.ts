import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GitFacts } from '../git/git-facts.js';

/**
 * The files of one project as a pipeline sees them: the working tree (dirty mode: tracked plus
 * untracked, non-ignored files, as `glci run` sends them) or the committed tree of HEAD.
 * Paths are relative to the project root, with `/` separators.
 */
export interface ProjectFiles {
  /** Absolute directory of the project (the repository's top level). */
  readonly root: string;
  /** The file's text, or `undefined` when it does not exist in this view of the project. */
  read(file: string): Promise<string | undefined>;
  /** Every file in this view, sorted. */
  list(): Promise<readonly string[]>;
  /**
   * The files a wildcard path (`*`, `**`) matches, for a view that can list one directory without
   * the whole tree (another project on a GitLab instance); `list` is filtered otherwise.
   */
  match?(pattern: string): Promise<string[]>;
}

export interface ProjectFilesOptions {
  readonly root: string;
  readonly git: GitFacts;
  /** Working tree with untracked files (default) or the commit at HEAD. */
  readonly dirty: boolean;
}

export function createProjectFiles(options: ProjectFilesOptions): ProjectFiles {
  let listing: Promise<readonly string[]> | undefined;
  const list = () => {
    listing ??= options.git.files({ includeUntracked: options.dirty }).then((files) => [...files].sort());
    return listing;
  };
  return {
    root: options.root,
    list,
    async read(file) {
      const relative = normalizeProjectPath(file);
      if (relative === undefined) return undefined;
      if (!options.dirty) return options.git.show('HEAD', relative);
      try {
        // CI files are small; a synchronous read costs less than a file handle's round trips.
        return readFileSync(path.join(options.root, relative), 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
        throw error;
      }
    },
  };
}

/** A fixed set of files (tests, editor buffers): `files` maps relative paths to their text. */
export function createMemoryProjectFiles(
  root: string,
  files: Readonly<Record<string, string>>,
): ProjectFiles {
  const sorted = Object.keys(files).sort();
  return {
    root,
    list: async () => sorted,
    read: async (file) => {
      const relative = normalizeProjectPath(file);
      return relative === undefined ? undefined : files[relative];
    },
  };
}

/** `./a/../b.yml` → `b.yml`; `undefined` for a path that leaves the project. */
export function normalizeProjectPath(file: string): string | undefined {
  const normalized = path.posix.normalize(file.replace(/^\/+/, ''));
  if (normalized === '..' || normalized.startsWith('../') || path.posix.isAbsolute(normalized))
    return undefined;
  return normalized === '.' ? '' : normalized;
}
