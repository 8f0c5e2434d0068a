import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Which glci build a CLI or daemon is: the commit it was built from and, when the tree had
 * uncommitted changes, a hash of them (two different dirty trees of one commit are different
 * builds). A CLI that finds a daemon of another build restarts it.
 */
export interface BuildInfo {
  /** The full commit hash, or `unknown`. */
  readonly commit: string;
  /** A short hash of the uncommitted changes; absent for a clean tree. */
  readonly dirty?: string;
  /** `build`: embedded by `pnpm build`; `git`: computed from the checkout it runs from. */
  readonly source: 'build' | 'git' | 'unknown';
}

/** Checks a parsed build-info file (kept free of a schema library: `glci version` loads this). */
export function parseBuildInfo(data: unknown): BuildInfo | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { commit, dirty, source } = data as Record<string, unknown>;
  if (typeof commit !== 'string' || commit === '') return undefined;
  if (dirty !== undefined && typeof dirty !== 'string') return undefined;
  if (source !== 'build' && source !== 'git' && source !== 'unknown') return undefined;
  return { commit, ...(dirty ? { dirty } : {}), source };
}

/** The string two builds are compared by: `<commit>` or `<commit>-dirty.<hash>`. */
export function buildIdentity(info: Pick<BuildInfo, 'commit' | 'dirty'>): string {
  return info.dirty ? `${info.commit}-dirty.${info.dirty}` : info.commit;
}

/** `abc123def456` or `abc123def456-dirty.1a2b3c4d`, for people. */
export function shortBuildIdentity(info: Pick<BuildInfo, 'commit' | 'dirty'>): string {
  const commit = info.commit === 'unknown' ? info.commit : info.commit.slice(0, 12);
  return info.dirty ? `${commit}-dirty.${info.dirty}` : commit;
}

/**
 * The build of the code in `repoDir`, from git: `HEAD`, and for a dirty tree a hash over `git
 * diff HEAD` and the untracked (not ignored) files. `unknown` outside a git checkout.
 */
export function computeBuildInfo(repoDir: string): BuildInfo {
  const git = (args: readonly string[]) =>
    execFileSync('git', args as string[], {
      cwd: repoDir,
      encoding: 'buffer',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
    });
  let commit: string;
  try {
    commit = git(['rev-parse', 'HEAD']).toString('utf8').trim();
  } catch {
    return { commit: 'unknown', source: 'unknown' };
  }
  const status = git(['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  if (status.length === 0) return { commit, source: 'git' };
  const hash = createHash('sha256');
  hash.update(git(['diff', 'HEAD', '--binary']));
  const root = git(['rev-parse', '--show-toplevel']).toString('utf8').trim();
  const untracked = git(['ls-files', '--others', '--exclude-standard', '-z'])
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .sort();
  for (const file of untracked) {
    hash.update(`\0${file}\0`);
    try {
      hash.update(readFileSync(path.join(root, file)));
    } catch {
      // Gone since git listed it, or unreadable: its name alone still counts.
    }
  }
  return { commit, dirty: hash.digest('hex').slice(0, 8), source: 'git' };
}

/**
 * The build of the running code: the file `pnpm build` wrote next to the compiled CLI when there
 * is one (an installed glci), else computed from the checkout it runs from (`pnpm glci`).
 */
export function readBuildInfo(options: { readonly file: string; readonly repoDir: string }): BuildInfo {
  let text: string | undefined;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch {
    return computeBuildInfo(options.repoDir);
  }
  let parsed: BuildInfo | undefined;
  try {
    parsed = parseBuildInfo(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed)
    throw new Error(`${options.file} is not a valid build-info file: remove it, or run pnpm build again`);
  return parsed;
}
