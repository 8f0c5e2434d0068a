import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidReferenceError } from '../errors.js';
import { isProjectPath } from '../origin-remote.js';

/**
 * Everything glci fetched from GitLab for includes, on disk, keyed by instance, project, resolved
 * commit and path. A file at a commit never changes, so it never needs the network again; what a
 * moving ref (a branch, `~latest`) resolved to is kept too, for planning offline.
 *
 *   $GLCI_HOME/includes/
 *   └── <host>[_<port>]/                      one instance
 *       ├── projects/<project, URL-encoded>/
 *       │   ├── refs/<ref, URL-encoded>.json   {"sha", "kind"}: what a ref or version resolved to
 *       │   ├── releases.json                  [{"tag", "sha"}]: the project's releases
 *       │   └── commits/<sha>/
 *       │       ├── files/<path>               a file's content at that commit
 *       │       └── trees/<dir, URL-encoded>.json   every file under a directory (recursive)
 *       ├── templates/<key, URL-encoded>.yml   a CI template as the instance serves it
 *       └── remote/<sha256 of the URL>.yml     an include:remote file
 *
 * A file's age is its modification time: it is written once, when fetched. Writes go to a
 * temporary file renamed into place, so a reader never sees half a file.
 */
export class IncludeCache {
  readonly root: string;

  constructor(glciHome: string, instanceUrl: string) {
    this.root = path.join(glciHome, 'includes', instanceKey(instanceUrl));
  }

  async readFile(project: string, sha: string, file: string): Promise<Cached<string> | undefined> {
    return readText(this.#commitDir(project, sha, 'files', safeRepoPath(file)));
  }

  async writeFile(project: string, sha: string, file: string, content: string): Promise<void> {
    return writeAtomically(this.#commitDir(project, sha, 'files', safeRepoPath(file)), content);
  }

  async readTree(project: string, sha: string, dir: string): Promise<Cached<string[]> | undefined> {
    return readJson<string[]>(this.#commitDir(project, sha, 'trees', `${encode(dir || '.')}.json`));
  }

  async writeTree(project: string, sha: string, dir: string, files: readonly string[]): Promise<void> {
    return writeAtomically(
      this.#commitDir(project, sha, 'trees', `${encode(dir || '.')}.json`),
      JSON.stringify(files),
    );
  }

  async readRef(project: string, ref: string): Promise<Cached<ResolvedRefEntry> | undefined> {
    return readJson<ResolvedRefEntry>(path.join(this.#projectDir(project), 'refs', `${encode(ref)}.json`));
  }

  async writeRef(project: string, ref: string, entry: ResolvedRefEntry): Promise<void> {
    return writeAtomically(
      path.join(this.#projectDir(project), 'refs', `${encode(ref)}.json`),
      JSON.stringify(entry),
    );
  }

  async readReleases(project: string): Promise<Cached<CachedRelease[]> | undefined> {
    return readJson<CachedRelease[]>(path.join(this.#projectDir(project), 'releases.json'));
  }

  async writeReleases(project: string, releases: readonly CachedRelease[]): Promise<void> {
    return writeAtomically(path.join(this.#projectDir(project), 'releases.json'), JSON.stringify(releases));
  }

  async readTemplate(name: string): Promise<Cached<string> | undefined> {
    return readText(path.join(this.root, 'templates', `${encode(name)}.yml`));
  }

  async writeTemplate(name: string, content: string): Promise<void> {
    return writeAtomically(path.join(this.root, 'templates', `${encode(name)}.yml`), content);
  }

  async readRemote(urlHash: string): Promise<Cached<string> | undefined> {
    return readText(path.join(this.root, 'remote', `${urlHash}.yml`));
  }

  async writeRemote(urlHash: string, content: string): Promise<void> {
    return writeAtomically(path.join(this.root, 'remote', `${urlHash}.yml`), content);
  }

  #projectDir(project: string): string {
    if (!isProjectPath(project)) throw new InvalidReferenceError(`\`${project}\` is not a project path`);
    return path.join(this.root, 'projects', encode(project));
  }

  #commitDir(project: string, sha: string, kind: 'files' | 'trees', rest: string): string {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha))
      throw new InvalidReferenceError(`\`${sha}\` is not a commit SHA`);
    return path.join(this.#projectDir(project), 'commits', sha, kind, rest);
  }
}

/** A cached value and when it was fetched. */
export interface Cached<T> {
  readonly value: T;
  readonly fetchedAt: Date;
}

/** What a ref resolved to, and whether it can move: a tag or a SHA never needs the network again. */
export interface ResolvedRefEntry {
  readonly sha: string;
  readonly kind: RefKind;
  /** The release a component version (`~latest`, `1.2`) resolved to. */
  readonly tag?: string;
}

/** How a ref resolved: `branch`, `latest` and `partial-semver` move; `tag`, `commit` and `release` do not. */
export type RefKind =
  | 'branch'
  | 'default-branch'
  | 'tag'
  | 'commit'
  | 'release'
  | 'latest'
  | 'partial-semver';

export function isMovingRef(kind: RefKind): boolean {
  return kind === 'branch' || kind === 'default-branch' || kind === 'latest' || kind === 'partial-semver';
}

export interface CachedRelease {
  readonly tag: string;
  readonly sha: string;
}

/** `gitlab.example.com`, `127.0.0.1_8443`: one directory per instance. */
export function instanceKey(instanceUrl: string): string {
  const url = new URL(instanceUrl);
  const pathPart = url.pathname.replace(/\/+$/, '');
  return encode(`${url.host.replace(':', '_')}${pathPart}`);
}

const encode = (text: string) => encodeURIComponent(text).replaceAll('.', '%2E');

/** A path inside a repository, checked: no `..`, no absolute path, nothing that leaves the cache. */
export function safeRepoPath(file: string): string {
  const normalized = path.posix.normalize(file.replace(/^\/+/, ''));
  if (
    !normalized ||
    normalized === '.' ||
    normalized.startsWith('../') ||
    normalized === '..' ||
    normalized.includes('\0') ||
    path.posix.isAbsolute(normalized)
  ) {
    throw new InvalidReferenceError(`\`${file}\` is not a path inside a repository`);
  }
  return normalized;
}

async function readText(file: string): Promise<Cached<string> | undefined> {
  try {
    // Cached CI files are small: a synchronous read costs less than a file handle's round trips.
    const value = readFileSync(file, 'utf8');
    return { value, fetchedAt: statSync(file).mtime };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readJson<T>(file: string): Promise<Cached<T> | undefined> {
  const text = await readText(file);
  if (!text) return undefined;
  try {
    return { value: JSON.parse(text.value) as T, fetchedAt: text.fetchedAt };
  } catch {
    // A damaged entry is a miss: it is fetched again and rewritten.
    return undefined;
  }
}

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}
