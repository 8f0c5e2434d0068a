import { execFile } from 'node:child_process';
import type { Environment, GitlabConfig } from '@glci/config';
import { GitlabSetupError } from './errors.js';
import { type OriginRemote, parseOriginRemote } from './origin-remote.js';
import { GitlabToken } from './token.js';

/** Where the instance URL came from, as `glci config --gitlab` says it. */
export type InstanceUrlSource =
  | { readonly kind: 'env'; readonly variable: 'GITLAB_URL' }
  | { readonly kind: 'config' }
  | { readonly kind: 'origin' }
  | { readonly kind: 'default' };

/** The user's GitLab instance and how to talk to it, resolved once per command. */
export interface GitlabInstance {
  /** The instance's base URL without a trailing slash, e.g. `https://gitlab.example.com`. */
  readonly url: string;
  readonly urlSource: InstanceUrlSource;
  /** `host[:port]`, the `CI_SERVER_FQDN` a component address starts with. */
  readonly fqdn: string;
  readonly token: GitlabToken | undefined;
  readonly caFile: string | undefined;
  readonly timeoutMs: number;
  readonly secretsTtlMs: number;
  /** How long a moving include ref's cached resolution is used without asking (`[gitlab] includes_ttl`). */
  readonly includesTtlMs: number;
  readonly concurrency: number;
  readonly remoteMaxSize: number;
  /** The `origin` remote when it points at this instance: the project's path and the user's git access. */
  readonly origin: OriginRemote | undefined;
}

export const DEFAULT_INSTANCE_URL = 'https://gitlab.com';

export interface ResolveInstanceOptions {
  readonly config: GitlabConfig;
  readonly env: Environment;
  /** The `origin` remote's URL, if the project has one (`readOriginUrl`). */
  readonly originUrl?: string | undefined;
  /** The user file, which alone may set `[gitlab] token`. */
  readonly userConfigFile?: string | undefined;
}

/**
 * `GITLAB_URL`, else `[gitlab] url`, else the instance of the `origin` remote, else gitlab.com; the
 * token is `[gitlab] token`, else `GITLAB_TOKEN`, else none (public projects only).
 */
export function resolveGitlabInstance(options: ResolveInstanceOptions): GitlabInstance {
  const { config, env } = options;
  const origin = options.originUrl ? parseOriginRemote(options.originUrl) : undefined;
  const fromEnv = env.GITLAB_URL?.trim();
  const [url, urlSource]: [string, InstanceUrlSource] = fromEnv
    ? [fromEnv, { kind: 'env', variable: 'GITLAB_URL' }]
    : config.url
      ? [config.url, { kind: 'config' }]
      : origin
        ? [origin.instanceUrl, { kind: 'origin' }]
        : [DEFAULT_INSTANCE_URL, { kind: 'default' }];
  const base = normalizeInstanceUrl(url);
  const token = config.token
    ? new GitlabToken(
        config.token,
        { kind: 'config', file: options.userConfigFile ?? 'the user config' },
        config.token_type,
      )
    : env.GITLAB_TOKEN
      ? new GitlabToken(env.GITLAB_TOKEN, { kind: 'env', variable: 'GITLAB_TOKEN' }, config.token_type)
      : undefined;
  return {
    url: base,
    urlSource,
    fqdn: new URL(base).host,
    token,
    caFile: config.ca_file,
    timeoutMs: config.timeout,
    secretsTtlMs: config.secrets_ttl,
    includesTtlMs: config.includes_ttl,
    concurrency: config.concurrency,
    remoteMaxSize: config.remote_max_size,
    // The origin's git access only helps for projects on the instance it points at.
    origin: origin && sameHost(origin.instanceUrl, base) ? origin : undefined,
  };
}

/** `https://gitlab.example.com/` → `https://gitlab.example.com`; refuses anything but http(s). */
export function normalizeInstanceUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GitlabSetupError(
      `GitLab URL ${JSON.stringify(url)} is not a URL`,
      'expected e.g. https://gitlab.example.com',
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new GitlabSetupError(`GitLab URL ${JSON.stringify(url)} must start with https:// or http://`);
  if (parsed.username || parsed.password)
    throw new GitlabSetupError(
      'the GitLab URL must not carry credentials',
      'set [gitlab] token in the user config, or GITLAB_TOKEN',
    );
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

function sameHost(a: string, b: string): boolean {
  return new URL(a).hostname.toLowerCase() === new URL(b).hostname.toLowerCase();
}

/** `git config --get remote.origin.url` in `cwd`; `undefined` outside a repository or without an origin. */
export function readOriginUrl(cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['config', '--get', 'remote.origin.url'],
      { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined),
    );
  });
}
