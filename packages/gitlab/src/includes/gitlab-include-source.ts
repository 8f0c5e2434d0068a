import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '@glci/config';
import {
  type Cached,
  IncludeCache,
  isMovingRef,
  type RefKind,
  type ResolvedRefEntry,
} from '../cache/include-cache.js';
import {
  GitAccessError,
  type GitlabError,
  GitlabRequestError,
  GitlabUnreachableError,
  IntegrityMismatchError,
  InvalidReferenceError,
  NotCachedError,
  RemoteIncludeError,
} from '../errors.js';
import { GitProjectAccess } from '../git/git-access.js';
import { GitlabApiClient } from '../http/api-client.js';
import type { GitlabInstance } from '../instance.js';
import { isProjectPath } from '../origin-remote.js';
import { componentFileCandidates, parseComponentAddress, versionKind } from './component-address.js';
import { type FetchProgress, FetchTracker } from './fetch-tracker.js';
import type {
  IncludedFile,
  IncludeOrigin,
  IncludeSource,
  RemoteProject,
  ResolvedComponent,
} from './include-source.js';
import { integrityOf, parseIntegrity } from './integrity.js';
import { maskUrl, RemoteFileFetcher } from './remote-fetcher.js';
import { createRemoteProject, type Resolution } from './remote-project.js';
import { selectReleaseVersion } from './select-version.js';
import { ApiTransport, GitTransport, type IncludeTransport } from './transport.js';

export interface IncludeSourceOptions {
  readonly instance: GitlabInstance;
  readonly glciHome: string;
  readonly logger: Logger;
  /** Never ask the instance: plan from the cache alone (what is missing is an error naming it). */
  readonly offline?: boolean;
  /** Fetch everything again even when cached (`--refresh-includes`); the cache still stands in offline. */
  readonly refresh?: boolean;
  readonly onProgress?: (event: FetchProgress) => void;
  readonly slowAfterMs?: number;
  readonly clock?: () => number;
  /** Test seams: how content is fetched. */
  readonly transport?: IncludeTransport;
  readonly remoteFetcher?: RemoteFileFetcher;
}

/**
 * The include source glci uses: the instance's REST API with a token, or the user's own git access
 * without one; a disk cache under `$GLCI_HOME/includes` keyed by instance, project, commit and path;
 * moving refs (branches, `~latest`, templates, remote files without an integrity hash) asked for
 * again whenever the instance answers, and taken from the cache, marked stale, when it does not.
 */
export function createIncludeSource(options: IncludeSourceOptions): IncludeSource {
  return new GitlabIncludeSource(options);
}

class GitlabIncludeSource implements IncludeSource {
  readonly fqdn: string;
  readonly #cache: IncludeCache;
  readonly #transport: IncludeTransport;
  readonly #remote: RemoteFileFetcher;
  readonly #tracker: FetchTracker;
  readonly #clock: () => number;
  readonly #refresh: boolean;
  readonly #ttlMs: number;
  readonly #instanceUrl: string;
  readonly #projects = new Map<string, Promise<RemoteProject>>();
  readonly #used: IncludedFile[] = [];
  #offline: boolean;
  #offlineReason: GitlabError | undefined;

  constructor(private readonly options: IncludeSourceOptions) {
    const { instance } = options;
    this.fqdn = instance.fqdn;
    this.#instanceUrl = instance.url;
    this.#cache = new IncludeCache(options.glciHome, instance.url);
    this.#clock = options.clock ?? Date.now;
    this.#refresh = options.refresh ?? false;
    this.#ttlMs = instance.includesTtlMs;
    this.#offline = options.offline ?? false;
    this.#tracker = new FetchTracker({
      concurrency: instance.concurrency,
      onProgress: options.onProgress,
      slowAfterMs: options.slowAfterMs,
      clock: this.#clock,
    });
    this.#transport = options.transport ?? defaultTransport(instance, this.#cache.root, options.logger);
    this.#remote =
      options.remoteFetcher ??
      new RemoteFileFetcher({
        timeoutMs: instance.timeoutMs,
        maxBytes: instance.remoteMaxSize,
        caFile: instance.caFile,
        logger: options.logger,
      });
  }

  project(project: string, ref?: string): Promise<RemoteProject> {
    if (!isProjectPath(project)) {
      return Promise.reject(
        new InvalidReferenceError(
          `\`${project}\` is not a project path`,
          'write it as group/project or group/subgroup/project',
        ),
      );
    }
    const key = `${project}@${ref ?? ''}`;
    let remote = this.#projects.get(key);
    if (!remote) {
      remote = this.#resolve(project, ref).then((resolution) =>
        this.#remoteProject(project, ref, resolution),
      );
      this.#projects.set(key, remote);
    }
    return remote;
  }

  async projectFile(
    project: string,
    ref: string | undefined,
    file: string,
  ): Promise<IncludedFile | undefined> {
    return (await this.project(project, ref)).file(file);
  }

  async projectTree(project: string, ref: string | undefined, pattern: string): Promise<string[]> {
    return (await this.project(project, ref)).match(pattern);
  }

  async component(address: string): Promise<ResolvedComponent> {
    const parsed = parseComponentAddress(address);
    if (parsed.host.toLowerCase() !== this.fqdn.toLowerCase()) {
      throw new InvalidReferenceError(
        `component \`${address}\` is on ${parsed.host}, not on this instance (${this.fqdn})`,
        'glci fetches components from [gitlab] url (or GITLAB_URL); point it at that instance, or use $CI_SERVER_FQDN',
      );
    }
    const wanted = versionKind(parsed.version);
    let project: RemoteProject;
    let version = parsed.version;
    if (wanted.kind === 'latest' || wanted.kind === 'partial-semver') {
      const resolution = await this.#resolveRelease(parsed.project, parsed.version, wanted);
      project = this.#remoteProject(parsed.project, parsed.version, resolution);
      version = resolution.tag ?? parsed.version;
    } else {
      project = await this.project(parsed.project, wanted.kind === 'sha' ? wanted.sha : wanted.ref);
    }
    const templates = await project.match('templates/**');
    const file = componentFileCandidates(parsed.name).find((candidate) => templates.includes(candidate));
    const included = file ? await project.file(file) : undefined;
    if (!included) throw new InvalidReferenceError(`Component '${address}' - content not found`);
    const componentFile: IncludedFile = { ...included, origin: { ...included.origin, kind: 'component' } };
    return {
      address: parsed,
      file: componentFile,
      project,
      context: { name: parsed.name, sha: project.sha, version, reference: parsed.version },
    };
  }

  async template(name: string): Promise<IncludedFile | undefined> {
    if (
      !/^[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)*\.gitlab-ci\.yml$/.test(name) ||
      name.split('/').includes('..')
    ) {
      throw new InvalidReferenceError(`Template file \`${name}\` is not a valid location!`);
    }
    const cached = await this.#cache.readTemplate(name);
    const origin: IncludeOrigin = { kind: 'template', instance: this.#instanceUrl, path: name };
    if (cached && this.#fresh(cached))
      return this.#record({
        content: cached.value,
        origin,
        fetchedAt: cached.fetchedAt,
        fromCache: true,
        stale: false,
      });
    const fetched = await this.#online(
      `template ${name}`,
      async () => {
        try {
          const content = await this.#tracker.run(`template:${name}`, `template ${name}`, () =>
            this.#transport.template(name),
          );
          await this.#cache.writeTemplate(name, content);
          return { content, fetchedAt: new Date(this.#clock()), fromCache: false, stale: false };
        } catch (error) {
          if (error instanceof GitlabRequestError && error.status === 404) return undefined;
          throw error;
        }
      },
      cached &&
        (() => ({ content: cached.value, fetchedAt: cached.fetchedAt, fromCache: true, stale: true })),
    );
    return fetched && this.#record({ ...fetched, origin });
  }

  async remote(
    url: string,
    options: { readonly integrity?: string | undefined } = {},
  ): Promise<IncludedFile> {
    const expected = options.integrity === undefined ? undefined : canonicalIntegrity(options.integrity);
    const key = createHash('sha256').update(url).digest('hex');
    const origin: IncludeOrigin = { kind: 'remote', instance: this.#instanceUrl, url: maskUrl(url) };
    const cached = await this.#cache.readRemote(key);
    const cachedMatches =
      cached !== undefined && (expected === undefined || integrityOf(cached.value) === expected);
    const fromCache = (stale: boolean) =>
      this.#record({ content: cached!.value, origin, fetchedAt: cached!.fetchedAt, fromCache: true, stale });
    // A file pinned by its hash is as fixed as a commit: the cached copy that hashes right is the file.
    if (expected !== undefined && cachedMatches && !this.#refresh) return fromCache(false);
    // Without a hash, the copy is the file for [gitlab] includes_ttl after it was fetched.
    if (expected === undefined && cached && this.#fresh(cached)) return fromCache(false);
    if (this.options.offline) {
      if (cachedMatches) return fromCache(true);
      throw new NotCachedError(`remote file ${maskUrl(url)}`, undefined);
    }
    let content: string;
    try {
      content = (await this.#tracker.run(`remote:${url}`, maskUrl(url), () => this.#remote.fetch(url)))
        .content;
    } catch (error) {
      if (error instanceof RemoteIncludeError && error.transient) {
        if (cachedMatches) return fromCache(expected === undefined);
        throw new NotCachedError(`remote file ${maskUrl(url)}`, error);
      }
      throw error;
    }
    if (expected !== undefined && integrityOf(content) !== expected)
      throw new IntegrityMismatchError(maskUrl(url), expected, integrityOf(content));
    await this.#cache.writeRemote(key, content);
    return this.#record({
      content,
      origin,
      fetchedAt: new Date(this.#clock()),
      fromCache: false,
      stale: false,
    });
  }

  used(): readonly IncludedFile[] {
    return this.#used;
  }

  async #resolve(project: string, ref: string | undefined): Promise<Resolution> {
    const now = () => new Date(this.#clock());
    if (ref !== undefined && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(ref))
      return { sha: ref, kind: 'commit', stale: false, resolvedAt: now() };
    const refKey = ref ?? 'HEAD';
    const cached = await this.#cache.readRef(project, refKey);
    if (cached && (!isMovingRef(cached.value.kind) || this.#fresh(cached)) && !this.#refresh)
      return { ...cached.value, stale: false, resolvedAt: cached.fetchedAt };
    return this.#online<Resolution>(
      `ref ${refKey} of ${project}`,
      async () => {
        const resolved = await this.#tracker.run(`ref:${project}@${refKey}`, `${project} at ${refKey}`, () =>
          this.#transport.resolveRef(project, ref, cached?.value.kind),
        );
        await this.#cache.writeRef(project, refKey, resolved);
        return { ...resolved, stale: false, resolvedAt: now() };
      },
      cached && (() => staleResolution(cached)),
    );
  }

  async #resolveRelease(
    project: string,
    version: string,
    wanted: { kind: 'latest' } | { kind: 'partial-semver'; major: number; minor: number | undefined },
  ): Promise<Resolution> {
    const cached = await this.#cache.readRef(project, version);
    if (cached && this.#fresh(cached)) return { ...cached.value, stale: false, resolvedAt: cached.fetchedAt };
    return this.#online<Resolution>(
      `version ${version} of ${project}`,
      async () => {
        const releases = await this.#tracker.run(`releases:${project}`, `releases of ${project}`, () =>
          this.#transport.releases(project),
        );
        await this.#cache.writeReleases(project, releases);
        const selected = selectReleaseVersion(
          releases,
          wanted.kind === 'latest' ? {} : { major: wanted.major, minor: wanted.minor },
        );
        if (!selected) {
          throw new InvalidReferenceError(
            `component version \`${version}\` of ${project}: no release with a semantic version matches it`,
            this.#transport.name === 'git'
              ? 'without a token glci reads semantic version tags; check the tags, or set GITLAB_TOKEN to read releases'
              : 'publish a release whose tag is a semantic version (e.g. 1.2.0)',
          );
        }
        const kind: RefKind = wanted.kind === 'latest' ? 'latest' : 'partial-semver';
        const entry: ResolvedRefEntry = { sha: selected.sha, kind, tag: selected.tag };
        await this.#cache.writeRef(project, version, entry);
        return { ...entry, stale: false, resolvedAt: new Date(this.#clock()) };
      },
      cached && (() => staleResolution(cached)),
    );
  }

  #remoteProject(project: string, ref: string | undefined, resolution: Resolution): RemoteProject {
    return createRemoteProject({
      project,
      ref,
      resolution,
      instanceUrl: this.#instanceUrl,
      cache: this.#cache,
      transport: this.#transport,
      tracker: this.#tracker,
      refresh: this.#refresh,
      clock: this.#clock,
      online: (missing, fetch, fallback) => this.#online(missing, fetch, fallback),
      record: (file) => this.#record(file),
    });
  }

  /**
   * Runs `fetch` unless glci is offline. When the instance cannot be reached, glci goes offline
   * for the rest of this planning (one timeout, not one per file) and `fallback` (the cached copy)
   * stands in; without one, the error names what is missing from the cache.
   */
  async #online<T>(missing: string, fetch: () => Promise<T>, fallback?: () => T): Promise<T> {
    if (this.#offline) {
      if (fallback) return fallback();
      throw new NotCachedError(missing, this.#offlineReason);
    }
    try {
      return await fetch();
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      this.#offline = true;
      this.#offlineReason = error;
      this.options.logger.warn('GitLab instance unreachable: using cached includes', {
        instance: this.#instanceUrl,
        reason: error.message,
      });
      if (fallback) return fallback();
      throw new NotCachedError(missing, error);
    }
  }

  /**
   * Whether what a moving ref resolved to (or a template, or a remote file without a hash) was
   * fetched within `[gitlab] includes_ttl`, so planning uses it without asking the instance (it
   * is then not stale: online planning would have used the same).
   */
  #fresh(cached: { readonly fetchedAt: Date }): boolean {
    // `--offline` says how old every moving ref's copy is, fresh or not: the user asked for the cache.
    if (this.#refresh || this.#ttlMs <= 0 || this.options.offline) return false;
    const age = this.#clock() - cached.fetchedAt.getTime();
    return age >= 0 && age < this.#ttlMs;
  }

  #record(file: IncludedFile): IncludedFile {
    this.#used.push(file);
    return file;
  }
}

function staleResolution(cached: Cached<ResolvedRefEntry>): Resolution {
  return { ...cached.value, stale: isMovingRef(cached.value.kind), resolvedAt: cached.fetchedAt };
}

function canonicalIntegrity(integrity: string): string {
  return `sha256-${parseIntegrity(integrity).digest.toString('base64')}`;
}

/** git's words for a host it could not reach (as opposed to one that refused the credentials). */
const NETWORK_FAILURE =
  /Could not resolve host|Connection refused|Failed to connect|timed out|Network is unreachable|No route to host/i;

function isUnreachable(error: unknown): error is GitlabError {
  if (error instanceof GitlabUnreachableError) return true;
  return error instanceof GitAccessError && NETWORK_FAILURE.test(error.reason);
}

function defaultTransport(instance: GitlabInstance, cacheRoot: string, logger: Logger): IncludeTransport {
  const client = (token: GitlabInstance['token']) =>
    new GitlabApiClient({
      url: instance.url,
      token,
      caFile: instance.caFile,
      timeoutMs: instance.timeoutMs,
      logger,
    });
  if (instance.token) return new ApiTransport(client(instance.token));
  const git = new GitProjectAccess({
    root: path.join(cacheRoot, 'git'),
    gitUrlFor: instance.origin?.gitUrlFor ?? ((project) => `${instance.url}/${project}.git`),
    caFile: instance.caFile,
    timeoutMs: instance.timeoutMs,
    logger,
  });
  return new GitTransport(git, client(undefined));
}
