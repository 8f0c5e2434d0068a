import path from 'node:path';
import type { Logger } from '@glci/config';
import { downloadJobArtifacts } from './api/project-api.js';
import { IncludeCache } from './cache/include-cache.js';
import { GitlabError, GitlabUnreachableError } from './errors.js';
import { GitProjectAccess } from './git/git-access.js';
import { GitlabApiClient } from './http/api-client.js';
import type { FetchProgress } from './includes/fetch-tracker.js';
import { createIncludeSource } from './includes/gitlab-include-source.js';
import type { IncludeSource } from './includes/include-source.js';
import type { GitlabInstance } from './instance.js';
import { type FetchedVariables, fetchRemoteVariables } from './variables/fetch-variables.js';
import type { SecretsScope } from './variables/resolve-variables.js';
import { SecretsStore, secretsKey } from './variables/secrets-store.js';

export interface GitlabConnectionOptions {
  readonly instance: GitlabInstance;
  readonly glciHome: string;
  readonly logger: Logger;
  /** Plan from the include cache alone; CI/CD variables only from `store`'s memory. */
  readonly offline?: boolean;
  /** `--refresh-includes`: fetch every included file again. */
  readonly refreshIncludes?: boolean;
  /** `--secrets`: which levels of CI/CD variables to read (default `all`; `none` reads nothing). */
  readonly secrets?: SecretsScope;
  /** `--refresh-secrets`: fetch the CI/CD variables again even when `store` holds them. */
  readonly refreshSecrets?: boolean;
  /** Where fetched variables live (the daemon's, for `[gitlab] secrets_ttl`); one for this connection otherwise. */
  readonly store?: SecretsStore;
  /**
   * Reads the CI/CD variables some other way (the CLI asks a running daemon, whose store holds
   * them for `secrets_ttl`); the result's `notes` are said like the connection's own.
   */
  readonly readVariables?: (
    project: string,
  ) => Promise<{ readonly variables: ProjectVariables | undefined; readonly notes: readonly string[] }>;
  readonly onProgress?: (event: FetchProgress) => void;
}

/** The CI/CD variables of a project as this connection read them, or why it read none. */
export interface ProjectVariables extends FetchedVariables {
  /** They came from the store's memory (fetched earlier, within `secrets_ttl`). */
  readonly fromMemory: boolean;
}

/**
 * glci's connection to the user's GitLab instance for one planning: the include source, the
 * project's CI/CD variables (fetched once per project through the secrets store), clones of
 * downstream projects for `trigger: project:`, and the instance's URL for `CI_SERVER_*`. Its
 * shape is `@glci/pipeline`'s `GitlabPlanning`.
 */
export interface GitlabConnection {
  readonly instance: GitlabInstance;
  readonly includes: IncludeSource;
  readonly secrets: SecretsScope;
  readonly serverUrl: string;
  /** `undefined` without a token, with `--secrets none`, or offline with nothing in memory. */
  variables(project: string): Promise<ProjectVariables | undefined>;
  /**
   * `needs:project`: the artifacts archive (zip) of a job of the latest successful pipeline of a
   * project's ref, as GitLab's API hands it out (`jobs/artifacts/:ref/download?job=`).
   */
  artifacts(project: string, ref: string, job: string): Promise<Buffer>;
  /** A working tree of a project's branch under the cache (cloned with the token, or the user's git access). */
  checkout(project: string, branch: string | undefined): Promise<string | undefined>;
  /** What the connection could not do, to say once (no token for variables, offline). */
  notes(): readonly string[];
}

export function connectGitlab(options: GitlabConnectionOptions): GitlabConnection {
  const { instance, logger } = options;
  const secrets = options.secrets ?? 'all';
  // Without the daemon's store, the variables live as long as this connection (one command).
  const store = options.store ?? new SecretsStore({ ttlMs: Number.MAX_SAFE_INTEGER });
  const includes = createIncludeSource({
    instance,
    glciHome: options.glciHome,
    logger,
    ...(options.offline ? { offline: true } : {}),
    ...(options.refreshIncludes ? { refresh: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const notes = new Set<string>();
  let client: GitlabApiClient | undefined;
  const api = () => {
    client ??= new GitlabApiClient({
      url: instance.url,
      token: instance.token,
      caFile: instance.caFile,
      timeoutMs: instance.timeoutMs,
      logger,
    });
    return client;
  };
  const git = new GitProjectAccess({
    root: path.join(new IncludeCache(options.glciHome, instance.url).root, 'checkouts'),
    // With a token, the API's HTTPS URL and the token as credentials; without, the user's own access.
    gitUrlFor:
      instance.token || !instance.origin
        ? (project) => `${instance.url}/${project}.git`
        : instance.origin.gitUrlFor,
    caFile: instance.caFile,
    token: instance.token,
    timeoutMs: instance.timeoutMs,
    logger,
  });
  return {
    instance,
    includes,
    secrets,
    serverUrl: instance.url,
    async variables(project) {
      if (secrets === 'none') return undefined;
      if (options.readVariables) {
        const read = await options.readVariables(project);
        for (const note of read.notes) notes.add(note);
        return read.variables;
      }
      // Without a token there are no CI/CD variables to read (glci config --gitlab says so).
      if (!instance.token) return undefined;
      const key = secretsKey(instance.url, project, secrets, instance.token);
      if (options.offline) {
        const held = store.peek(key);
        if (!held)
          notes.add(
            'offline: the CI/CD variables are kept in memory only (never on disk), and none are held for this project',
          );
        return held && { ...held, fromMemory: true };
      }
      try {
        const { variables, fromMemory } = await store.get(
          key,
          () => fetchRemoteVariables(api(), project, { scope: secrets }),
          {
            refresh: options.refreshSecrets ?? false,
            ...(options.store ? { ttlMs: instance.secretsTtlMs } : {}),
          },
        );
        for (const line of variables.unavailable) notes.add(`CI/CD variables not read: ${line}`);
        return { ...variables, fromMemory };
      } catch (error) {
        if (!(error instanceof GitlabUnreachableError)) throw error;
        const held = store.peek(key);
        notes.add(
          held
            ? `the GitLab instance could not be reached: using the CI/CD variables glci fetched at ${held.fetchedAt.toISOString()}`
            : `the GitLab instance could not be reached (${error.reason}): jobs run without the project's CI/CD variables`,
        );
        return held && { ...held, fromMemory: true };
      }
    },
    artifacts: (project, ref, job) => downloadJobArtifacts(api(), project, ref, job),
    async checkout(project, branch) {
      if (options.offline) return undefined;
      const dir = path.join(
        new IncludeCache(options.glciHome, instance.url).root,
        'checkouts',
        encodeURIComponent(project),
      );
      try {
        await git.checkout(project, branch, dir);
        return dir;
      } catch (error) {
        if (!(error instanceof GitlabError)) throw error;
        notes.add(`trigger: project ${project} could not be cloned: ${error.message}`);
        return undefined;
      }
    },
    notes: () => [...notes],
  };
}

/** Fetched variables as JSON carries them (the date as ISO text) … */
export function variablesToWire(variables: ProjectVariables): unknown {
  return JSON.parse(JSON.stringify(variables));
}

/** … and back. */
export function variablesFromWire(wire: unknown): ProjectVariables {
  const value = wire as ProjectVariables & { fetchedAt: string };
  return { ...value, fetchedAt: new Date(value.fetchedAt) };
}
