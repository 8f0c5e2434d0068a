import path from 'node:path';
import type { IncludeEnvironment, ProjectResolver } from './config/load-config.js';
import { createProjectFiles, type ProjectFiles } from './config/project-files.js';
import type { ContextSpec } from './context/context-spec.js';
import { type PipelineContext, resolvePipelineContext } from './context/pipeline-context.js';
import { predefinedVariables } from './context/predefined.js';
import { readRules } from './definition/read-rules.js';
import { Reader } from './definition/reader.js';
import type { ChildInclude } from './definition/types.js';
import { IssueCollector, PipelineConfigError, PipelineUsageError } from './errors.js';
import { ExpressionCache } from './expression/evaluate-expression.js';
import { createGitCli, findRepositoryRoot, openGitRepository } from './git/git-cli.js';
import type { GitFacts } from './git/git-facts.js';
import { loadPipelineDefinition } from './load-pipeline.js';
import type { LocalSettings } from './plan/local-settings.js';
import { type PlannedJobDraft, planPipeline } from './plan/plan-pipeline.js';
import type { PipelinePlan, PlannedTrigger } from './plan/plan-types.js';
import { evaluateRules, type RuleEnvironment } from './rules/evaluate-rules.js';
import { resolveVariables, type VariableLayer } from './variables/layers.js';
import type { YamlValue } from './yaml/load-yaml.js';
import { SourceMap } from './yaml/source-map.js';

/** GitLab nests child pipelines at most this deep (glci's documented cap). */
export const MAX_CHILD_DEPTH = 2;

export interface ProjectMapping {
  readonly dir: string;
  readonly branch?: string;
}

export interface PlanProjectOptions {
  /** A directory inside the project's git repository. */
  readonly dir: string;
  /** Default: `merge_request`, as glci documents. */
  readonly context?: ContextSpec;
  readonly mrSource?: string;
  readonly mrTarget?: string;
  /** Dirty mode (default true): untracked, non-ignored files are part of the project. */
  readonly dirty?: boolean;
  /** The CI file (default `.gitlab-ci.yml`) and, for an editor buffer, its text. */
  readonly file?: string;
  readonly text?: string;
  /** Values for the root file's `spec: inputs`. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** Pipeline-wide user layers (`cli-env`, `env-file`, `glci-env`, `preset`). */
  readonly layers?: readonly VariableLayer[];
  readonly local?: LocalSettings;
  /** `[projects."group/proj"]` and `--project-dir`: other projects' local checkouts. */
  readonly projects?: Readonly<Record<string, ProjectMapping>>;
  /** Overrides the path derived from the `origin` remote. */
  readonly projectPath?: string;
  /** Facts about the repository (default: `git` child processes in its top level). */
  readonly git?: GitFacts;
  readonly ids?: { readonly pipelineId?: number };
}

/**
 * Everything in one call: finds the repository, reads git, resolves the context, loads and
 * validates the CI configuration and plans the pipeline, child pipelines included.
 */
export async function planProject(options: PlanProjectOptions): Promise<PipelinePlan> {
  const spec = options.context ?? { kind: 'merge_request' };
  const { root, git } = options.git
    ? { root: path.resolve(options.dir), git: options.git }
    : await openGitRepository(options.dir, { upstream: spec.kind === 'branch' || spec.kind === 'env' });
  const dirty = options.dirty ?? true;
  const context = await resolvePipelineContext({
    spec,
    git,
    projectDir: root,
    dirty,
    ...(options.projectPath ? { projectPath: options.projectPath } : {}),
    ...(options.mrSource ? { mrSource: options.mrSource } : {}),
    ...(options.mrTarget ? { mrTarget: options.mrTarget } : {}),
  });
  const files = createProjectFiles({ root, git, dirty });
  return planWithContext({
    options,
    context,
    git,
    files,
    file: options.file ?? '.gitlab-ci.yml',
    text: options.text,
    inputs: options.inputs ?? {},
    layers: options.layers ?? [],
  });
}

export interface LintResult {
  readonly files: readonly string[];
  readonly jobs: number;
  readonly warnings: readonly string[];
}

/**
 * Validation only (`glci lint`, GitLab's CI Lint): loads the configuration with its includes and
 * checks it as GitLab does (keywords, rules, needs, dependencies, stages, cycles), without
 * evaluating jobs' rules. Include rules are evaluated for `context`, by default a push to the
 * default branch, as CI Lint simulates. Throws `PipelineConfigError`.
 */
export async function lintProject(
  options: Pick<PlanProjectOptions, 'dir' | 'file' | 'text' | 'inputs' | 'projects' | 'git' | 'context'>,
): Promise<LintResult> {
  const { root, git } = options.git
    ? { root: path.resolve(options.dir), git: options.git }
    : await openGitRepository(options.dir);
  const spec: ContextSpec = options.context ?? {
    kind: 'branch',
    name: (await git.defaultBranch()) ?? (await git.branch()) ?? 'main',
  };
  const context = await resolvePipelineContext({ spec, git, projectDir: root, dirty: true });
  const files = createProjectFiles({ root, git, dirty: true });
  const rules = createRuleEnvironment(context, git, files);
  const variables = resolveVariables([
    { source: 'predefined', label: 'predefined', entries: predefinedVariables(context) },
  ]);
  const loaded = await loadPipelineDefinition({
    project: files,
    projectPath: context.project.path,
    file: options.file ?? '.gitlab-ci.yml',
    ...(options.text !== undefined ? { text: options.text } : {}),
    inputs: options.inputs ?? {},
    include: {
      variables: variables.get,
      projects: createProjectResolver(options, root),
      evaluateRules: async (value, where) => {
        const issues = new IssueCollector();
        const parsed = readRules(
          new Reader(new SourceMap(), issues),
          value,
          `${where.keyPath}:rules`,
          where.location,
          { when: ['always', 'never'], keys: [] },
        );
        if (!parsed || !issues.empty)
          throw new PipelineConfigError(
            issues.issues.map((issue) => ({
              ...issue,
              ...(where.location ? { location: where.location } : {}),
            })),
          );
        const outcome = await evaluateRules(parsed, variables.get, rules);
        return outcome.matched !== undefined && outcome.matched.rule.when !== 'never';
      },
    },
  });
  return {
    files: loaded.raw.files.map((file) => file.name),
    jobs: loaded.definition.jobs.length,
    warnings: loaded.warnings,
  };
}

interface PlanRun {
  readonly options: PlanProjectOptions;
  readonly context: PipelineContext;
  readonly git: GitFacts;
  readonly files: ProjectFiles;
  readonly file: string;
  readonly text: string | undefined;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly layers: readonly VariableLayer[];
}

async function planWithContext(run: PlanRun): Promise<PipelinePlan> {
  const { context, git, files } = run;
  const rules = createRuleEnvironment(context, git, files);
  const resolver = createProjectResolver(run.options, context.project.dir);
  const pipelineLayers: VariableLayer[] = [
    { source: 'predefined', label: 'predefined', entries: predefinedVariables(context) },
    ...run.layers,
  ];
  const pipelineVariables = resolveVariables(pipelineLayers);
  const include: IncludeEnvironment = {
    variables: pipelineVariables.get,
    projects: resolver,
    serverFqdn: new URL(context.project.serverUrl).host,
    evaluateRules: async (value: YamlValue, where, project) => {
      const issues = new IssueCollector();
      const reader = new Reader(new SourceMap(), issues);
      const parsed = readRules(reader, value, `${where.keyPath}:rules`, where.location, {
        when: ['always', 'never'],
        keys: [],
      });
      if (!parsed || !issues.empty)
        throw new PipelineConfigError(
          issues.issues.map((issue) => ({
            ...issue,
            ...(where.location ? { location: where.location } : {}),
          })),
        );
      const environment = project === files ? rules : createRuleEnvironment(context, git, project);
      const outcome = await evaluateRules(parsed, pipelineVariables.get, environment);
      return outcome.matched !== undefined && outcome.matched.rule.when !== 'never';
    },
  };
  const loaded = await loadPipelineDefinition({
    project: files,
    projectPath: context.project.path,
    file: run.file,
    ...(run.text !== undefined ? { text: run.text } : {}),
    inputs: run.inputs,
    include,
  });
  return planPipeline({
    definition: loaded.definition,
    context,
    rules,
    caches: { files, git },
    layers: run.layers,
    ...(run.options.local ? { local: run.options.local } : {}),
    files: loaded.raw.files,
    warnings: loaded.warnings,
    ...(run.options.ids ? { ids: run.options.ids } : {}),
    planTrigger: (job) => planTrigger(run, job),
  });
}

async function planTrigger(run: PlanRun, job: PlannedJobDraft): Promise<PlannedTrigger | undefined> {
  const trigger = job.definition.trigger;
  if (!trigger) return undefined;
  const depth = run.context.depth + 1;
  const forwarded: VariableLayer[] = [];
  const jobVariables = resolveVariables(job.variables);
  if (trigger.forward.yamlVariables) {
    const yaml = job.variables.filter(
      (layer) => layer.source === 'yaml-global' || layer.source === 'yaml-job',
    );
    forwarded.push({
      source: 'parent-pipeline',
      label: `forwarded by ${job.name} (yaml_variables)`,
      entries: yaml.flatMap((layer) =>
        layer.entries.map((entry) => ({ ...entry, value: jobVariables.get(entry.name) ?? entry.value })),
      ),
    });
  }
  if (trigger.forward.pipelineVariables)
    forwarded.push(
      ...run.layers.filter((layer) => ['cli-env', 'env-file', 'glci-env', 'preset'].includes(layer.source)),
    );
  if (trigger.kind === 'child') {
    if (depth > MAX_CHILD_DEPTH)
      throw new PipelineConfigError([
        {
          keyPath: `jobs:${job.definitionName}:trigger`,
          message: `child pipeline nesting depth ${depth + 1} exceeds maximum ${MAX_CHILD_DEPTH}`,
          ...(job.location ? { location: job.location } : {}),
        },
      ]);
    const common = {
      kind: 'child' as const,
      forward: trigger.forward,
      ...(trigger.strategy ? { strategy: trigger.strategy } : {}),
    };
    const artifact = trigger.include.find((include: ChildInclude) => include.kind === 'artifact');
    if (artifact && artifact.kind === 'artifact')
      return { ...common, dynamic: { job: artifact.job, artifact: artifact.artifact } };
    const first = trigger.include[0];
    if (!first || first.kind !== 'local') return { ...common };
    const context: PipelineContext = { ...run.context, source: 'parent_pipeline', depth };
    const pipeline = await planWithContext({
      ...run,
      context,
      file: first.path.replace(/^\/+/, ''),
      text: undefined,
      inputs: first.inputs ?? {},
      layers: forwarded,
    });
    return { ...common, pipeline };
  }
  const mapping = run.options.projects?.[trigger.project];
  const common = {
    kind: 'project' as const,
    project: trigger.project,
    forward: trigger.forward,
    ...(trigger.strategy ? { strategy: trigger.strategy } : {}),
    ...(trigger.branch ? { branch: trigger.branch } : {}),
  };
  if (!mapping || depth > MAX_CHILD_DEPTH) return common;
  const dir = path.resolve(run.context.project.dir, mapping.dir);
  const git = createGitCli(
    await findRepositoryRoot(dir).catch(() => {
      throw new PipelineUsageError(
        `[projects."${trigger.project}"] dir = "${mapping.dir}" is not a git repository`,
      );
    }),
  );
  const branch = trigger.branch ?? mapping.branch;
  const context = await resolvePipelineContext({
    spec: branch ? { kind: 'branch', name: branch } : { kind: 'branch' },
    git,
    projectDir: dir,
    projectPath: trigger.project,
    dirty: run.context.dirty,
  });
  const downstream: PipelineContext = { ...context, source: 'pipeline', depth };
  const files = createProjectFiles({ root: dir, git, dirty: run.context.dirty });
  const pipeline = await planWithContext({
    ...run,
    context: downstream,
    git,
    files,
    file: '.gitlab-ci.yml',
    text: undefined,
    inputs: {},
    layers: forwarded,
  });
  return { ...common, pipeline };
}

function createProjectResolver(
  options: Pick<PlanProjectOptions, 'projects'>,
  baseDir: string,
): ProjectResolver {
  const cache = new Map<string, Promise<ProjectFiles | undefined>>();
  return {
    project(projectPath) {
      let files = cache.get(projectPath);
      if (!files) {
        const mapping = options.projects?.[projectPath];
        files = mapping
          ? (async () => {
              const dir = path.resolve(baseDir, mapping.dir);
              const root = await findRepositoryRoot(dir);
              return createProjectFiles({ root, git: createGitCli(root), dirty: true });
            })()
          : Promise.resolve(undefined);
        cache.set(projectPath, files);
      }
      return files;
    },
  };
}

/** `exists`/`changes` against the context's project files and base, memoized per planning run. */
export function createRuleEnvironment(
  context: PipelineContext,
  git: GitFacts,
  files: ProjectFiles,
): RuleEnvironment {
  const changed = new Map<string, Promise<readonly string[] | 'all'>>();
  return {
    expressions: new ExpressionCache(),
    files: () => files.list(),
    changedFiles(compareTo) {
      const key = compareTo ?? '';
      let result = changed.get(key);
      if (!result) {
        result = (async () => {
          if (compareTo !== undefined) {
            const sha = await git.resolve(compareTo);
            if (!sha)
              throw new PipelineConfigError([
                { keyPath: 'rules:changes:compare_to', message: `${compareTo} is not a valid ref` },
              ]);
            return git.changedFiles({ base: sha, mergeBase: false, workingTree: context.dirty });
          }
          if (context.changesBase.kind === 'all') return 'all';
          return git.changedFiles({
            base: context.changesBase.base,
            mergeBase: context.changesBase.mergeBase,
            workingTree: context.dirty,
          });
        })();
        changed.set(key, result);
      }
      return result;
    },
  };
}
