import { createMemoryProjectFiles } from '../config/project-files.js';
import type { ContextSpec } from '../context/context-spec.js';
import { resolvePipelineContext } from '../context/pipeline-context.js';
import { predefinedVariables } from '../context/predefined.js';
import type { CommitFacts, GitFacts } from '../git/git-facts.js';
import { loadPipelineDefinition } from '../load-pipeline.js';
import type { LocalSettings } from '../plan/local-settings.js';
import { planPipeline } from '../plan/plan-pipeline.js';
import type { PipelinePlan } from '../plan/plan-types.js';
import { createRuleEnvironment } from '../plan-project.js';
import { type CiCdVariables, ciCdLayers } from '../variables/ci-cd-variables.js';
import { resolveVariables, type VariableLayer } from '../variables/layers.js';

export const SHA = 'a'.repeat(40);
export const TARGET_SHA = 'b'.repeat(40);

/** Git facts for unit tables: a repository on `feature` with `main` as default and target. */
export function fakeGit(
  overrides: Partial<{
    branch: string | undefined;
    tags: string[];
    changed: string[];
    files: string[];
    upstream: string;
    lastCommits: Record<string, string>;
  }> = {},
): GitFacts {
  const commit: CommitFacts = {
    sha: SHA,
    parentSha: 'c'.repeat(40),
    message: 'Add the thing\n\nBody text',
    authorName: 'Ada',
    authorEmail: 'ada@example.com',
    timestamp: '2026-11-01T10:00:00+00:00',
  };
  return {
    branch: async () => ('branch' in overrides ? overrides.branch : 'feature'),
    commit: async () => commit,
    tagsAtHead: async () => overrides.tags ?? [],
    defaultBranch: async () => 'main',
    upstreamSha: async () => overrides.upstream,
    resolve: async (ref) =>
      ref === 'main' || ref === 'origin/main' ? TARGET_SHA : ref === 'v1' ? 'd'.repeat(40) : undefined,
    mergeBase: async () => TARGET_SHA,
    changedFiles: async () => overrides.changed ?? [],
    files: async () => overrides.files ?? [],
    show: async () => undefined,
    lastCommitFor: async (file) => overrides.lastCommits?.[file],
    remoteUrl: async () => 'git@gitlab.example.com:group/app.git',
  };
}

export interface FixtureOptions {
  readonly context?: ContextSpec;
  readonly changed?: string[];
  readonly upstream?: string;
  readonly layers?: VariableLayer[];
  readonly local?: LocalSettings;
  readonly inputs?: Record<string, unknown>;
  readonly branch?: string | undefined;
  readonly tags?: string[];
  readonly lastCommits?: Record<string, string>;
  /** The project's CI/CD variables, as fetched from an instance. */
  readonly ciCd?: CiCdVariables;
}

/** Plans in-memory files (`.gitlab-ci.yml` and includes) for a context, with fixture git facts. */
export async function planFiles(
  files: Record<string, string>,
  options: FixtureOptions = {},
): Promise<PipelinePlan> {
  const git = fakeGit({
    files: Object.keys(files),
    ...(options.changed ? { changed: options.changed } : {}),
    ...(options.upstream ? { upstream: options.upstream } : {}),
    ...('branch' in options ? { branch: options.branch } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.lastCommits ? { lastCommits: options.lastCommits } : {}),
  });
  const project = createMemoryProjectFiles('/project', files);
  const context = await resolvePipelineContext({
    spec: options.context ?? { kind: 'branch' },
    git,
    projectDir: '/project',
    dirty: true,
  });
  const rules = createRuleEnvironment(context, git, project);
  const ciCd = options.ciCd ? ciCdLayers(options.ciCd, context) : undefined;
  const variables = resolveVariables([
    { source: 'predefined', label: 'predefined', entries: predefinedVariables(context) },
    ...(ciCd?.layers(undefined) ?? []),
    ...(options.layers ?? []),
  ]);
  const loaded = await loadPipelineDefinition({
    project,
    projectPath: context.project.path,
    inputs: options.inputs ?? {},
    include: {
      variables: variables.get,
      evaluateRules: async () => true,
    },
  });
  return planPipeline({
    definition: loaded.definition,
    context,
    rules,
    caches: { files: project, git },
    ...(options.layers ? { layers: options.layers } : {}),
    ...(options.local ? { local: options.local } : {}),
    ...(ciCd ? { ciCd } : {}),
    warnings: loaded.warnings,
  });
}

/** `name → when` of a plan's jobs, the shape most tables compare. */
export function jobsOf(plan: PipelinePlan): Record<string, string> {
  return Object.fromEntries(plan.jobs.map((job) => [job.name, job.when]));
}
