import { displayPath } from '@glci/config';
import type { GitlabConnection, ProjectVariables } from '@glci/gitlab';
import {
  type FetchProgress,
  type GitlabInstance,
  type GitlabSession,
  type IncludeSource,
  instanceToWire,
  readOriginUrl,
  resolveGitlabInstance,
} from '@glci/gitlab/planning';
import type { GitlabPlanning } from '@glci/pipeline';
import type { CliContext } from '../../cli-context.js';

/** `--secrets`, `--refresh-secrets`, `--refresh-includes`, `--offline`. */
export interface GitlabCliOptions {
  readonly secrets?: 'all' | 'project' | 'none';
  readonly refreshSecrets?: boolean;
  readonly refreshIncludes?: boolean;
  readonly offline?: boolean;
}

/** `origin`'s URL as `readOriginUrl` asks git for it, for a caller that asks in a batch of its own. */
export const ORIGIN_URL_QUESTION: readonly string[] = ['config', '--get', 'remote.origin.url'];

/** What the caller already knows of the repository: `origin`'s URL (`ORIGIN_URL_QUESTION`). */
export interface KnownOrigin {
  readonly originUrl: string | undefined;
}

/** The user's instance as the configuration, the environment and the project's `origin` name it. */
export async function resolveInstance(
  ctx: CliContext,
  root: string,
  known?: KnownOrigin,
): Promise<{ instance: GitlabInstance; originUrl: string | undefined }> {
  const loaded = ctx.config();
  const originUrl = known ? known.originUrl : await readOriginUrl(root);
  const instance = resolveGitlabInstance({
    config: loaded.config.gitlab,
    env: ctx.env,
    originUrl,
    userConfigFile: loaded.sources.global ? displayPath(loaded.sources.global) : undefined,
  });
  return { instance, originUrl };
}

/** What `glci run` sends its daemon: the instance (with the token) and the flags. */
export async function gitlabSession(
  ctx: CliContext,
  root: string,
  options: GitlabCliOptions,
  resolved?: { instance: GitlabInstance; originUrl: string | undefined },
): Promise<GitlabSession> {
  const { instance, originUrl } = resolved ?? (await resolveInstance(ctx, root));
  return {
    instance: instanceToWire(instance, originUrl),
    secrets: options.secrets ?? 'all',
    refreshSecrets: options.refreshSecrets ?? false,
    refreshIncludes: options.refreshIncludes ?? false,
    offline: options.offline ?? false,
  };
}

/**
 * The GitLab connection `glci show`, `variables` and `lint` plan with, opened only when the plan
 * first needs the instance (a configuration of local files never loads the HTTP client). The
 * CI/CD variables come from a running daemon, which holds them in memory for `[gitlab]
 * secrets_ttl` (and offline), else they are fetched for this command alone. Slow fetches and what
 * could not be read are said on stderr.
 */
export async function gitlabPlanning(
  ctx: CliContext,
  root: string,
  options: GitlabCliOptions,
  known?: KnownOrigin,
): Promise<GitlabPlanning & { notes(): readonly string[] }> {
  const resolved = await resolveInstance(ctx, root, known);
  const { instance } = resolved;
  const session = await gitlabSession(ctx, root, options, resolved);
  let connection: Promise<GitlabConnection> | undefined;
  let opened: GitlabConnection | undefined;
  const daemonNotes: string[] = [];
  const connect = () => {
    connection ??= import('@glci/gitlab')
      .then(({ connectGitlab }) =>
        connectGitlab({
          instance,
          glciHome: ctx.config().glciHome,
          logger: ctx.logger(),
          secrets: session.secrets ?? 'all',
          refreshSecrets: session.refreshSecrets ?? false,
          refreshIncludes: session.refreshIncludes ?? false,
          offline: session.offline ?? false,
          onProgress: (event) => showProgress(event),
        }),
      )
      .then((made) => {
        opened = made;
        return made;
      });
    return connection;
  };
  const includes = lazyIncludes(instance.fqdn, connect);
  return {
    includes,
    secrets: session.secrets ?? 'all',
    serverUrl: instance.url,
    variables: async (project) => {
      if ((session.secrets ?? 'all') === 'none') return undefined;
      // Without a token there are no CI/CD variables to read (glci config --gitlab says so).
      if (!instance.token) return undefined;
      const held = await variablesFromDaemon(ctx, session, project);
      if (held) {
        daemonNotes.push(...held.notes);
        return held.variables;
      }
      // No daemon: this command fetches them, and they live as long as it does.
      const direct = await import('@glci/gitlab').then(({ connectGitlab }) =>
        connectGitlab({
          instance,
          glciHome: ctx.config().glciHome,
          logger: ctx.logger(),
          secrets: session.secrets ?? 'all',
          offline: session.offline ?? false,
        }),
      );
      const variables = await direct.variables(project);
      daemonNotes.push(...direct.notes());
      return variables;
    },
    checkout: async (project, branch) => (await connect()).checkout(project, branch),
    notes: () => [...new Set([...daemonNotes, ...(opened?.notes() ?? [])])],
  };
}

/** The variables a running daemon holds or fetches; `undefined` when no daemon (of this kind) runs. */
async function variablesFromDaemon(
  ctx: CliContext,
  session: GitlabSession,
  project: string,
): Promise<{ variables: ProjectVariables | undefined; notes: readonly string[] } | undefined> {
  // Loaded here: planning with `--secrets none` or without a token never talks to the daemon.
  const [{ DaemonClient, DaemonRequestError }, { daemonSettings }] = await Promise.all([
    import('@glci/daemon/client'),
    import('../daemon/daemon-session.js'),
  ]);
  const client = new DaemonClient({ socketPath: daemonSettings(ctx).socket, timeoutMs: 120_000 });
  if (!(await client.ping({ timeoutMs: 2_000 }).catch(() => undefined))) return undefined;
  try {
    const answer = await client.request<{ variables?: unknown; notes: string[] }>(
      'POST',
      '/gitlab/variables',
      {
        session,
        project,
      },
    );
    const { variablesFromWire } = await import('@glci/gitlab');
    return {
      variables: answer.variables === undefined ? undefined : variablesFromWire(answer.variables),
      notes: answer.notes,
    };
  } catch (error) {
    // A daemon of an older build has no such route: fetch here instead.
    if (error instanceof DaemonRequestError && error.status === 404) return undefined;
    throw error;
  }
}

/** An include source that loads `@glci/gitlab` and connects on its first use. */
function lazyIncludes(fqdn: string, connect: () => Promise<GitlabConnection>): IncludeSource {
  let used: () => readonly ReturnType<IncludeSource['used']>[number][] = () => [];
  const source = async () => {
    const connection = await connect();
    used = () => connection.includes.used();
    return connection.includes;
  };
  return {
    fqdn,
    project: async (project, ref) => (await source()).project(project, ref),
    projectFile: async (project, ref, file) => (await source()).projectFile(project, ref, file),
    projectTree: async (project, ref, pattern) => (await source()).projectTree(project, ref, pattern),
    component: async (address) => (await source()).component(address),
    template: async (name) => (await source()).template(name),
    remote: async (url, options) => (await source()).remote(url, options),
    used: () => used(),
  };
}

function showProgress(event: FetchProgress): void {
  if (event.type === 'slow')
    process.stderr.write(
      `glci: fetching ${event.what} from GitLab (${(event.elapsedMs / 1000).toFixed(1)} s)…\n`,
    );
}
