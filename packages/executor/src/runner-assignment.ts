import type { RunnerEntryConfig } from '@glci/config';
import { normalizeTags, runnerMatches } from '@glci/runner-api';

/**
 * Which of the configured runners may run a job: GitLab's assignment (`Ci::Runner#matches_build?`,
 * `Gitlab::Ci::Matching::RunnerMatcher#accepting_tags?`), applied before a job is queued so that
 * a job nothing can run is reported instead of waiting unseen. Pure: no config files, no Docker.
 */

/** A runner as the user configured it: a `[runners.NAME]` or `[projects."group/proj".runners.NAME]` entry. */
export interface ConfiguredRunner {
  readonly name: string;
  readonly tags: readonly string[];
  readonly runUntagged: boolean;
  /** `shared` runs every project's jobs; `project` only the project's (`glci-runner-<project>`). */
  readonly scope: 'shared' | 'project';
  /** Where it is configured, for messages: `[runners.gpu]`. */
  readonly table: string;
  readonly settings: RunnerEntryConfig;
}

/** glci's own shared runner: no tags, runs untagged jobs (GitLab's default for a runner without tags). */
export const SHARED_RUNNER_NAME = 'glci shared runner';

export type RunnerAssignment =
  /** The job can run: `runners` are the configured runners that match it, in configuration order. */
  | { readonly kind: 'runnable'; readonly shared: boolean; readonly runners: readonly ConfiguredRunner[] }
  /** No runner has every tag of the job: it stays pending, as on GitLab. */
  | { readonly kind: 'pending'; readonly tags: readonly string[]; readonly message: string }
  /** `--any-runner`: a job no runner matches runs on glci's shared runner. */
  | { readonly kind: 'any-runner'; readonly tags: readonly string[] };

type RunnersConfig = {
  readonly runners: Readonly<Record<string, RunnerEntryConfig>>;
  readonly projects: Readonly<
    Record<string, { readonly runners?: Readonly<Record<string, RunnerEntryConfig>> }>
  >;
};

/**
 * The runners that serve a pipeline of `projectPath`, as GitLab has instance and project runners:
 * the user config's `[runners.NAME]` are shared (glci's runner container, every project); the
 * project's own are `[projects."<path>".runners.NAME]` (either file) and the `[runners.NAME]` of
 * its `.glciconfig.toml` (`merged` is the user file under the project file). The project's come
 * first, each name once (the project's entry wins over a shared one of the same name).
 */
export function configuredRunners(
  user: RunnersConfig,
  merged: RunnersConfig,
  projectPath: string,
): ConfiguredRunner[] {
  const own = new Map<string, ConfiguredRunner>();
  for (const [name, settings] of Object.entries(merged.projects[projectPath]?.runners ?? {}))
    own.set(name, toConfigured(name, settings, 'project', `[projects."${projectPath}".runners.${name}]`));
  for (const [name, settings] of Object.entries(merged.runners)) {
    const fromUser = user.runners[name];
    if (own.has(name) || (fromUser && JSON.stringify(fromUser) === JSON.stringify(settings))) continue;
    own.set(name, toConfigured(name, settings, 'project', `[runners.${name}] of .glciconfig.toml`));
  }
  const shared = Object.entries(user.runners)
    .filter(([name]) => !own.has(name))
    .map(([name, settings]) => toConfigured(name, settings, 'shared', `[runners.${name}]`));
  return [...own.values(), ...shared];
}

/** The user config's `[runners.NAME]`: the shared runner container's entries. */
export function sharedRunners(user: RunnersConfig): ConfiguredRunner[] {
  return Object.entries(user.runners).map(([name, settings]) =>
    toConfigured(name, settings, 'shared', `[runners.${name}]`),
  );
}

function toConfigured(
  name: string,
  settings: RunnerEntryConfig,
  scope: ConfiguredRunner['scope'],
  table: string,
): ConfiguredRunner {
  return {
    name,
    tags: normalizeTags(settings.tags),
    runUntagged: settings.run_untagged,
    scope,
    table,
    settings,
  };
}

/**
 * GitLab's rule: a runner takes a job when it has every one of the job's tags, and an untagged job
 * only when it runs untagged jobs. glci's shared runner (no tags, runs untagged) is always there,
 * so an untagged job always has a runner; a tagged one needs a configured runner with its tags.
 */
export function assignRunner(
  job: { readonly name: string; readonly tags?: readonly string[] },
  runners: readonly ConfiguredRunner[],
  options: { readonly anyRunner?: boolean } = {},
): RunnerAssignment {
  const tags = normalizeTags(job.tags ?? []);
  const matching = runners.filter((runner) => runnerMatches(runner, tags));
  if (tags.length === 0) return { kind: 'runnable', shared: true, runners: matching };
  if (matching.length > 0) return { kind: 'runnable', shared: false, runners: matching };
  if (options.anyRunner) return { kind: 'any-runner', tags };
  return { kind: 'pending', tags, message: pendingMessage(job.name, tags, runners) };
}

/** What a user reads for a job nothing can run: its tags, the runners there are, and the fix. */
export function pendingMessage(
  jobName: string,
  tags: readonly string[],
  runners: readonly ConfiguredRunner[],
) {
  const quoted = tags.map((tag) => JSON.stringify(tag));
  const configured =
    runners.length === 0
      ? `there is only ${SHARED_RUNNER_NAME}, which runs untagged jobs`
      : `the runners are ${SHARED_RUNNER_NAME} (untagged jobs) and ${runners
          .map(
            (runner) =>
              `${runner.table} (${runner.tags.length > 0 ? `tags ${runner.tags.join(', ')}` : 'no tags'})`,
          )
          .join(', ')}`;
  return (
    `job "${jobName}" is pending: no runner has all of its tags (${tags.join(', ')}); ${configured}. ` +
    `A runner in ~/.glci/config.toml would run it:\n  [runners.${suggestedName(tags)}]\n  tags = [${quoted.join(', ')}]\n` +
    'or run with --any-runner to run it on the shared runner'
  );
}

/** A `[runners.NAME]` name from the job's tags, valid as a config key. */
function suggestedName(tags: readonly string[]): string {
  const name = tags
    .join('-')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return name === '' ? 'tagged' : name;
}
