import path from 'node:path';
import type { IncludeEnvironment } from './config/include-environment.js';
import { createProjectFiles, type ProjectFiles } from './config/project-files.js';
import type { ContextSpec } from './context/context-spec.js';
import { type PipelineContext, resolvePipelineContext } from './context/pipeline-context.js';
import { predefinedVariables } from './context/predefined.js';
import { readRules } from './definition/read-rules.js';
import { Reader } from './definition/reader.js';
import { IssueCollector, PipelineConfigError } from './errors.js';
import { ExpressionCache } from './expression/evaluate-expression.js';
import { openGitRepository } from './git/git-cli.js';
import type { GitFacts } from './git/git-facts.js';
import { loadPipelineDefinition } from './load-pipeline.js';
import { openProject, withServer } from './open-project.js';
import { planPipeline } from './plan/plan-pipeline.js';
import type { DynamicChild, PipelinePlan } from './plan/plan-types.js';
import { planTrigger } from './plan-downstream.js';
import type { GitlabPlanning, PlanProjectOptions, PlanRun } from './plan-request.js';
import { createProjectResolver } from './project-resolver.js';
import { evaluateRules, type RuleEnvironment } from './rules/evaluate-rules.js';
import { type CiCdLayers, ciCdLayers } from './variables/ci-cd-variables.js';
import { resolveVariables, type VariableLayer } from './variables/layers.js';
import type { YamlValue } from './yaml/load-yaml.js';
import { SourceMap } from './yaml/source-map.js';

/**
 * Everything in one call: finds the repository, reads git, resolves the context, loads and
 * validates the CI configuration and plans the pipeline, child pipelines included.
 */
export async function planProject(options: PlanProjectOptions): Promise<PipelinePlan> {
  const { context, git, files } = await openProject(options);
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
  options: Pick<
    PlanProjectOptions,
    'dir' | 'file' | 'text' | 'inputs' | 'projects' | 'git' | 'context' | 'gitlab' | 'layers'
  >,
): Promise<LintResult> {
  const { root, git } = options.git
    ? { root: path.resolve(options.dir), git: options.git }
    : await openGitRepository(options.dir);
  const spec: ContextSpec = options.context ?? {
    kind: 'branch',
    name: (await git.defaultBranch()) ?? (await git.branch()) ?? 'main',
  };
  const context = withServer(
    await resolvePipelineContext({ spec, git, projectDir: root, dirty: true }),
    options.gitlab?.serverUrl,
  );
  const files = createProjectFiles({ root, git, dirty: true });
  const ciCd = await ciCdFor(options.gitlab, context);
  const environment = includeEnvironment({
    options,
    context,
    git,
    files,
    layers: [...(ciCd?.layers(undefined) ?? []), ...(options.layers ?? [])],
    ciCd,
  });
  const loaded = await loadPipelineDefinition({
    project: files,
    projectPath: context.project.path,
    file: options.file ?? '.gitlab-ci.yml',
    ...(options.text !== undefined ? { text: options.text } : {}),
    inputs: options.inputs ?? {},
    include: environment,
  });
  return {
    files: loaded.raw.files.map((file) => file.name),
    jobs: loaded.definition.jobs.length,
    warnings: loaded.warnings,
  };
}

export async function planWithContext(run: PlanRun): Promise<PipelinePlan> {
  const { context, git, files } = run;
  const rules = createRuleEnvironment(context, git, files);
  const ciCd = await ciCdFor(run.options.gitlab, context);
  const include = includeEnvironment({
    options: run.options,
    context,
    git,
    files,
    rules,
    // Include paths see the CI/CD variables of no environment, as GitLab's config variables.
    layers: [...(ciCd?.layers(undefined) ?? []), ...run.layers],
    ciCd,
    ...(run.artifacts ? { artifacts: run.artifacts } : {}),
  });
  const loaded = await loadPipelineDefinition({
    project: files,
    projectPath: context.project.path,
    file: run.file,
    ...(run.text !== undefined ? { text: run.text } : {}),
    ...(run.includes ? { includes: run.includes } : {}),
    inputs: run.inputs,
    include,
  });
  const hidden = (ciCd?.hidden ?? []).map(
    (name) =>
      `${name} is a hidden CI/CD variable: GitLab never hands its value out, so glci's jobs get none (set it with --env or .glci.env)`,
  );
  return planPipeline({
    definition: loaded.definition,
    context,
    rules,
    caches: { files, git },
    layers: run.layers,
    ...(ciCd ? { ciCd } : {}),
    ...(run.options.local ? { local: run.options.local } : {}),
    files: loaded.raw.files,
    warnings: [...loaded.warnings, ...hidden],
    ...(run.options.ids ? { ids: run.options.ids } : {}),
    planTrigger: (job) => planTrigger(run, job, planWithContext),
  });
}

/** The project's CI/CD variables for this context, when the caller fetched them. */
export async function ciCdFor(
  gitlab: GitlabPlanning | undefined,
  context: PipelineContext,
): Promise<CiCdLayers | undefined> {
  const scope = gitlab?.secrets ?? 'all';
  if (!gitlab?.variables || scope === 'none') return undefined;
  const fetched = await gitlab.variables(context.project.path);
  return fetched ? ciCdLayers({ set: fetched.set, scope }, context) : undefined;
}

interface IncludeSetup {
  readonly options: Pick<PlanProjectOptions, 'projects' | 'gitlab'>;
  readonly context: PipelineContext;
  readonly git: GitFacts;
  readonly files: ProjectFiles;
  readonly rules?: RuleEnvironment;
  /** Pipeline variables an include path may use, above the predefined ones. */
  readonly layers: readonly VariableLayer[];
  readonly ciCd: CiCdLayers | undefined;
  readonly artifacts?: (job: string, path: string) => Promise<string | undefined>;
}

/** What includes see: the pipeline's variables, its rules, mapped checkouts and the GitLab instance. */
function includeEnvironment(setup: IncludeSetup): IncludeEnvironment {
  const { context, git, files } = setup;
  const rules = setup.rules ?? createRuleEnvironment(context, git, files);
  const variables = resolveVariables([
    { source: 'predefined', label: 'predefined', entries: predefinedVariables(context) },
    ...setup.layers,
  ]);
  const gitlab = setup.options.gitlab?.includes;
  return {
    variables: variables.get,
    projects: createProjectResolver(setup.options, context.project.dir),
    ...(gitlab ? { gitlab } : {}),
    serverFqdn: new URL(context.project.serverUrl).host,
    ...(setup.ciCd ? { mask: setup.ciCd.mask } : {}),
    ...(setup.artifacts ? { artifacts: setup.artifacts } : {}),
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
      const outcome = await evaluateRules(parsed, variables.get, environment);
      return outcome.matched !== undefined && outcome.matched.rule.when !== 'never';
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

/**
 * A dynamic child pipeline, once the job that generates its configuration has run: the trigger's
 * `include:` entries with each `artifact:` read through `readArtifact` (the generating job's
 * artifacts), planned for the parent's project and commit with `parent_pipeline` as its source.
 * `options` is the request the parent pipeline was planned with.
 */
export async function planDynamicChild(
  options: PlanProjectOptions,
  child: DynamicChild,
  readArtifact: (job: string, path: string) => Promise<string | undefined>,
): Promise<PipelinePlan> {
  const { context, git, files } = await openProject(options);
  return planWithContext({
    options,
    context: { ...context, source: 'parent_pipeline', depth: child.depth },
    git,
    files,
    file: `${child.job}:${child.artifact}`,
    text: undefined,
    includes: child.includes,
    artifacts: readArtifact,
    inputs: {},
    layers: child.layers,
  });
}
