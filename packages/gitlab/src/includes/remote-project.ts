import {
  type Cached,
  type IncludeCache,
  type ResolvedRefEntry,
  safeRepoPath,
} from '../cache/include-cache.js';
import type { FetchTracker } from './fetch-tracker.js';
import type { IncludedFile, IncludeOrigin, RemoteProject } from './include-source.js';
import type { IncludeTransport } from './transport.js';
import { fixedDirectoryOf, matchWildcardPath } from './wildcard-path.js';

/** A ref's resolution: the commit, how it resolved, and whether it came from the cache offline. */
export interface Resolution extends ResolvedRefEntry {
  readonly stale: boolean;
  readonly resolvedAt: Date;
}

/** What a project view needs from its include source. */
export interface RemoteProjectContext {
  readonly project: string;
  readonly ref: string | undefined;
  readonly resolution: Resolution;
  readonly instanceUrl: string;
  readonly cache: IncludeCache;
  readonly transport: IncludeTransport;
  readonly tracker: FetchTracker;
  readonly refresh: boolean;
  readonly clock: () => number;
  /** Runs a fetch unless offline; `fallback` (the cached copy) stands in when the instance cannot be asked. */
  online<T>(missing: string, fetch: () => Promise<T>, fallback?: () => T): Promise<T>;
  /** Notes a file handed out (`IncludeSource.used()`). */
  record(file: IncludedFile): IncludedFile;
}

/**
 * A project's files at one resolved commit: from the cache when there (a commit never changes),
 * else fetched and cached; trees listed per directory, so a wildcard lists only what it can match.
 */
export function createRemoteProject(context: RemoteProjectContext): RemoteProject {
  const { project, ref, resolution, cache, transport, tracker } = context;
  const { sha } = resolution;
  const origin = (file: string): IncludeOrigin => ({
    kind: 'project',
    instance: context.instanceUrl,
    project,
    ...(ref !== undefined ? { ref } : {}),
    sha,
    path: file,
  });
  const tree = async (dir: string): Promise<string[]> => {
    const cached = await cache.readTree(project, sha, dir);
    if (cached && !context.refresh) return cached.value;
    return context.online(
      `${dir ? `tree ${dir}/` : 'repository tree'} of ${project} at ${sha}`,
      async () => {
        const files = await tracker.run(`tree:${project}@${sha}:${dir}`, `${project} tree ${dir}`, () =>
          transport.listTree(project, sha, dir),
        );
        await cache.writeTree(project, sha, dir, files);
        return files;
      },
      cached && (() => cached.value),
    );
  };
  const file = async (name: string): Promise<IncludedFile | undefined> => {
    const relative = safeRepoPath(name);
    const cached = await cache.readFile(project, sha, relative);
    const fromCache = (entry: Cached<string>): IncludedFile => ({
      content: entry.value,
      origin: origin(relative),
      fetchedAt: entry.fetchedAt,
      fromCache: true,
      stale: resolution.stale,
    });
    if (cached && !context.refresh) return context.record(fromCache(cached));
    const fetched = await context.online(
      `file ${relative} of ${project} at ${ref ?? 'the default branch'} (${sha.slice(0, 8)})`,
      async () => {
        const content = await tracker.run(
          `file:${project}@${sha}:${relative}`,
          `${project}:${relative}`,
          () => transport.readFile(project, sha, relative),
        );
        if (content === undefined) return undefined;
        await cache.writeFile(project, sha, relative, content);
        return {
          content,
          origin: origin(relative),
          fetchedAt: new Date(context.clock()),
          fromCache: false,
          stale: resolution.stale,
        } satisfies IncludedFile;
      },
      cached && (() => fromCache(cached)),
    );
    return fetched && context.record(fetched);
  };
  return {
    root: `${project}@${sha.slice(0, 8)}`,
    project,
    ref,
    sha,
    refKind: resolution.kind,
    stale: resolution.stale,
    resolvedAt: resolution.resolvedAt,
    file,
    read: async (name) => (await file(name))?.content,
    list: () => tree(''),
    match: async (pattern) => matchWildcardPath(pattern, await tree(fixedDirectoryOf(pattern))),
  };
}
