import type { LoadedFile } from '../config/load-config.js';
import type { PipelineContext } from '../context/pipeline-context.js';
import { predefinedVariables, slugify } from '../context/predefined.js';
import { parseHumanDuration } from '../definition/duration.js';
import type { JobDefinition, PipelineDefinition } from '../definition/types.js';
import { IssueCollector } from '../errors.js';
import {
  evaluateOnlyExcept,
  evaluateRules,
  type RuleEnvironment,
  type RuleTrace,
} from '../rules/evaluate-rules.js';
import type { CiCdLayers } from '../variables/ci-cd-variables.js';
import { expandText } from '../variables/expand.js';
import { resolveVariables, type VariableEntry, type VariableLayer } from '../variables/layers.js';
import type { CacheKeyEnvironment } from './cache-key.js';
import { type LocalSettings, nameMatches, patternMatches } from './local-settings.js';
import { resolveNeeds } from './needs.js';
import { expandParallel } from './parallel.js';
import { buildPayload } from './plan-job.js';
import type { ExcludedJob, PipelinePlan, PlannedJob, PlannedTrigger } from './plan-types.js';

export interface PlanPipelineOptions {
  readonly definition: PipelineDefinition;
  readonly context: PipelineContext;
  readonly rules: RuleEnvironment;
  readonly caches: CacheKeyEnvironment;
  /** Pipeline-wide user layers: `--env`, `--env-file`, `.glci.env`, a preset's `env`, a parent's forwarded variables. */
  readonly layers?: readonly VariableLayer[];
  /** The project's CI/CD variables from its GitLab instance, chosen per job by its environment. */
  readonly ciCd?: CiCdLayers;
  readonly local?: LocalSettings;
  readonly files?: readonly LoadedFile[];
  readonly warnings?: readonly string[];
  readonly ids?: { readonly pipelineId?: number; readonly parentPipelineId?: number };
  /** Plans a trigger job's downstream pipeline (child include or mapped project). */
  readonly planTrigger?: (job: PlannedJobDraft) => Promise<PlannedTrigger | undefined>;
}

/** A job before its trigger is planned: what `planTrigger` receives. */
export type PlannedJobDraft = PlannedJob & { readonly definition: JobDefinition };

/**
 * Evaluates a validated configuration for one context: `workflow:rules` first, then each job's
 * `rules` (or `only`/`except`) with its variables, `parallel` expansion, `needs` and
 * `dependencies` checks as GitLab makes them, then the local config's `[skip]`/`[manual]`.
 * Throws `PipelineConfigError` for what GitLab would refuse at pipeline creation (a need of a job
 * that is not in the pipeline, a need of a later stage).
 */
export async function planPipeline(options: PlanPipelineOptions): Promise<PipelinePlan> {
  const { definition, context } = options;
  const local = options.local ?? {};
  const warnings = [...(options.warnings ?? [])];
  const predefined: VariableLayer = {
    source: 'predefined',
    label: 'predefined',
    entries: predefinedVariables(context, options.ids),
  };
  const globalLayer: VariableLayer = {
    source: 'yaml-global',
    label: 'variables',
    entries: definition.variables.map(toEntry),
  };
  const userLayers = options.layers ?? [];
  // The pipeline as a whole (workflow:rules, workflow:name) sees the CI/CD variables of no environment.
  const ciCdPipeline = options.ciCd?.layers(undefined) ?? [];

  // workflow:rules see predefined, global YAML, CI/CD and pipeline variables.
  let workflowEntries: VariableEntry[] = [];
  let workflowTrace: readonly RuleTrace[] = [];
  let workflowRuleIndex: number | undefined;
  let notCreatedReason: string | undefined;
  if (definition.workflow?.rules) {
    const variables = resolveVariables([predefined, globalLayer, ...ciCdPipeline, ...userLayers]);
    const outcome = await evaluateRules(definition.workflow.rules, variables.get, options.rules);
    workflowTrace = outcome.trace;
    if (!outcome.matched || outcome.matched.rule.when === 'never') {
      notCreatedReason = 'Pipeline filtered out by workflow rules.';
    } else {
      workflowRuleIndex = outcome.matched.index;
      workflowEntries = (outcome.matched.rule.variables ?? []).map(toEntry);
    }
  }
  const workflowLayer: VariableLayer = {
    source: 'workflow-rules',
    label: 'workflow:rules',
    entries: workflowEntries,
  };
  const pipelineLayers = [predefined, globalLayer, workflowLayer, ...ciCdPipeline, ...userLayers];
  const pipelineVariables = resolveVariables(pipelineLayers);
  const jobBaseLayers = options.ciCd
    ? [predefined, globalLayer, workflowLayer, ...userLayers]
    : pipelineLayers;
  const name =
    definition.workflow?.name === undefined
      ? undefined
      : expandText(definition.workflow.name, pipelineVariables.get);

  const summary = {
    ...summarize(context),
    ...(options.ciCd ? { protectedRef: options.ciCd.protectedRef } : {}),
  };
  const base = {
    context: summary,
    ...(name ? { name } : {}),
    workflow: {
      ...(workflowRuleIndex !== undefined ? { ruleIndex: workflowRuleIndex } : {}),
      trace: workflowTrace,
      variables: workflowEntries,
    },
    variables: pipelineLayers,
    files: options.files ?? [],
  };
  if (notCreatedReason)
    return { ...base, created: false, notCreatedReason, stages: [], jobs: [], excluded: [], warnings };

  const included: PlannedJobDraft[] = [];
  const excluded: ExcludedJob[] = [];
  for (const job of definition.jobs) {
    for (const instance of expandParallel(job.name, job.parallel)) {
      const layers = withCiCd(
        jobLayers(job, instance, definition, jobBaseLayers, local, context),
        job,
        options.ciCd,
        context,
      );
      const variables = resolveVariables(layers);
      const stageIndex = definition.stages.indexOf(job.stage);
      const excludedBase = {
        name: instance.name,
        definitionName: job.name,
        stage: job.stage,
        ...(job.location ? { location: job.location } : {}),
        variables: layers,
      };
      let when = job.when ?? 'on_success';
      let allowFailure = job.allowFailure;
      let startIn = job.startIn;
      let needs = job.needs;
      let interruptible: boolean | undefined;
      let trace: readonly RuleTrace[] = [];
      let inclusion: PlannedJob['inclusion'];
      let ruleLayer: VariableLayer | undefined;
      if (job.rules) {
        const outcome = await evaluateRules(job.rules, variables.get, options.rules);
        trace = outcome.trace;
        if (!outcome.matched) {
          excluded.push({ ...excludedBase, by: 'rules', reason: 'no rule matched', ruleTrace: trace });
          continue;
        }
        const { rule, index } = outcome.matched;
        if (rule.when === 'never') {
          excluded.push({
            ...excludedBase,
            by: 'rules',
            reason: `rule ${index + 1} matched with when: never`,
            ruleIndex: index,
            ...(rule.location ? { ruleLocation: rule.location } : {}),
            ruleTrace: trace,
          });
          continue;
        }
        when = rule.when ?? job.when ?? 'on_success';
        allowFailure = rule.allowFailure ?? job.allowFailure ?? false;
        startIn = rule.startIn ?? job.startIn;
        needs = rule.needs ?? job.needs;
        interruptible = rule.interruptible;
        inclusion = {
          kind: 'rules',
          ruleIndex: index,
          ...(rule.location ? { location: rule.location } : {}),
        };
        if (rule.variables?.length)
          ruleLayer = {
            source: 'rules',
            label: `jobs:${job.name}:rules:rule ${index + 1}`,
            entries: rule.variables.map(toEntry),
          };
      } else {
        const outcome = await evaluateOnlyExcept(job.only, job.except, context, variables.get, options.rules);
        if (!outcome.included) {
          excluded.push({ ...excludedBase, by: 'only-except', reason: outcome.reason, ruleTrace: [] });
          continue;
        }
        if (when === 'never') {
          excluded.push({ ...excludedBase, by: 'only-except', reason: 'when: never', ruleTrace: [] });
          continue;
        }
        allowFailure = job.allowFailure ?? when === 'manual';
        inclusion = { kind: 'only-except', detail: outcome.reason };
      }
      const finalLayers = ruleLayer ? [...layers, ruleLayer] : layers;
      const finalVariables = ruleLayer ? resolveVariables(finalLayers) : variables;
      const payload = await buildPayload(
        job,
        definition.defaults,
        finalVariables,
        local,
        interruptible,
        options.caches,
        context,
      );
      const plannedWhen = when as PlannedJob['when'];
      included.push({
        name: instance.name,
        definitionName: job.name,
        definition: job,
        stage: job.stage,
        stageIndex,
        when: plannedWhen,
        ...(plannedWhen === 'delayed' && startIn
          ? { startIn, startInSeconds: parseHumanDuration(startIn) ?? 0 }
          : {}),
        allowFailure: allowFailure ?? false,
        ...(needs
          ? {
              needs: needs.map((need) => ({ ...need })),
            }
          : {}),
        ...(job.dependencies ? { dependencies: job.dependencies } : {}),
        ...payload,
        ...(instance.total > 1 || job.parallel
          ? {
              parallel: {
                index: instance.index,
                total: instance.total,
                ...(instance.matrix ? { matrix: instance.matrix } : {}),
              },
            }
          : {}),
        ...(job.location ? { location: job.location } : {}),
        inclusion,
        ruleTrace: trace,
        variables: finalLayers,
      });
    }
  }

  const issues = new IssueCollector();
  const resolved = resolveNeeds(included, definition, issues);
  issues.throwIfAny();
  const afterLocal = applyLocalSettings(resolved, excluded, local, warnings);

  const jobs: PlannedJob[] = [];
  for (const draft of afterLocal.sort((a, b) => a.stageIndex - b.stageIndex)) {
    const { definition: jobDefinition, ...job } = draft;
    const trigger =
      jobDefinition.trigger && options.planTrigger ? await options.planTrigger(draft) : undefined;
    jobs.push(trigger ? { ...job, trigger } : job);
  }
  const stages = definition.stages.filter((stage) => jobs.some((job) => job.stage === stage));
  const real = jobs.filter((job) => job.stage !== '.pre' && job.stage !== '.post');
  if (resolved.length === 0 || resolved.every((job) => job.stage === '.pre' || job.stage === '.post')) {
    return {
      ...base,
      created: false,
      notCreatedReason:
        resolved.length === 0
          ? 'Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline.'
          : 'Pipeline will not run: a pipeline must contain at least one job outside the .pre and .post stages.',
      stages: [],
      jobs: [],
      excluded,
      warnings,
    };
  }
  void real;
  return { ...base, created: true, stages, jobs, excluded, warnings };
}

/**
 * A job's layers with the CI/CD variables its environment gets (`environment_scope`): the
 * environment's name expanded with the job's other variables, as GitLab expands it; `--context
 * env=NAME` stands for an environment for jobs without one.
 */
function withCiCd(
  layers: VariableLayer[],
  job: JobDefinition,
  ciCd: CiCdLayers | undefined,
  context: PipelineContext,
): VariableLayer[] {
  if (!ciCd) return layers;
  const written = job.environment?.name;
  const environment =
    written === undefined ? context.environmentName : expandText(written, resolveVariables(layers).get);
  return [...layers, ...ciCd.layers(environment)];
}

function toEntry(variable: {
  name: string;
  value: string;
  expand: boolean;
  description?: string;
}): VariableEntry {
  return {
    name: variable.name,
    value: variable.value,
    ...(variable.expand ? {} : { raw: true }),
    ...(variable.description ? { description: variable.description } : {}),
  };
}

function jobLayers(
  job: JobDefinition,
  instance: { name: string; index: number; total: number; matrix?: Readonly<Record<string, string>> },
  definition: PipelineDefinition,
  pipelineLayers: readonly VariableLayer[],
  local: LocalSettings,
  context: PipelineContext,
): VariableLayer[] {
  const jobPredefined: VariableEntry[] = [
    { name: 'CI_JOB_NAME', value: instance.name },
    { name: 'CI_JOB_NAME_SLUG', value: slugify(instance.name) },
    { name: 'CI_JOB_STAGE', value: job.stage },
  ];
  if (instance.total > 1 || job.parallel)
    jobPredefined.push(
      { name: 'CI_NODE_INDEX', value: String(instance.index) },
      { name: 'CI_NODE_TOTAL', value: String(instance.total) },
    );
  if (job.when === 'manual') jobPredefined.push({ name: 'CI_JOB_MANUAL', value: 'true' });
  if (job.environment) {
    jobPredefined.push({ name: 'CI_ENVIRONMENT_NAME', value: job.environment.name });
    if (job.environment.url) jobPredefined.push({ name: 'CI_ENVIRONMENT_URL', value: job.environment.url });
    jobPredefined.push({ name: 'CI_ENVIRONMENT_ACTION', value: job.environment.action ?? 'start' });
    if (job.environment.deploymentTier)
      jobPredefined.push({ name: 'CI_ENVIRONMENT_TIER', value: job.environment.deploymentTier });
  }
  void context;
  const inheritVariables = job.inherit.variables;
  const layers = pipelineLayers.map((layer) => {
    if (layer.source !== 'yaml-global' || inheritVariables === true) return layer;
    const allowed = inheritVariables === false ? [] : inheritVariables;
    return { ...layer, entries: layer.entries.filter((entry) => allowed.includes(entry.name)) };
  });
  layers.push(
    { source: 'job-predefined', label: `jobs:${job.name} (predefined)`, entries: jobPredefined },
    { source: 'yaml-job', label: `jobs:${job.name}:variables`, entries: job.variables.map(toEntry) },
  );
  if (instance.matrix)
    layers.push({
      source: 'matrix',
      label: `jobs:${job.name}:parallel:matrix`,
      entries: Object.entries(instance.matrix).map(([name, value]) => ({ name, value })),
    });
  const configured = local.jobs?.[job.name]?.variables;
  if (configured?.length)
    layers.push({ source: 'config-job', label: `[jobs."${job.name}"].variables`, entries: configured });
  void definition;
  return layers;
}

function applyLocalSettings(
  jobs: PlannedJobDraft[],
  excluded: ExcludedJob[],
  local: LocalSettings,
  warnings: string[],
): PlannedJobDraft[] {
  const skipped = new Set<string>();
  const skip = local.noSkipAll ? undefined : local.skip;
  for (const job of jobs) {
    const why = skip?.stages?.includes(job.stage)
      ? `[skip] stages includes ${job.stage}`
      : skip?.jobs?.includes(job.definitionName) || skip?.jobs?.includes(job.name)
        ? '[skip] jobs includes it'
        : patternMatches(job.name, skip?.jobPatterns)
          ? '[skip] job_patterns matches it'
          : undefined;
    if (why) {
      skipped.add(job.name);
      excluded.push({
        name: job.name,
        definitionName: job.definitionName,
        stage: job.stage,
        ...(job.location ? { location: job.location } : {}),
        by: 'local',
        reason: `skipped by the glci config: ${why}`,
        ruleTrace: job.ruleTrace,
        variables: job.variables,
      });
    }
  }
  // A preset's jobs/stages select jobs; the jobs they need (transitively) come along.
  if (local.onlyJobs?.length || local.onlyStages?.length) {
    const wanted = new Set(
      jobs
        .filter(
          (job) =>
            nameMatches(job.name, local.onlyJobs) ||
            nameMatches(job.definitionName, local.onlyJobs) ||
            local.onlyStages?.includes(job.stage),
        )
        .map((job) => job.name),
    );
    const byName = new Map(jobs.map((job) => [job.name, job]));
    const queue = [...wanted];
    while (queue.length > 0) {
      for (const need of byName.get(queue.pop()!)?.needs ?? []) {
        if (!wanted.has(need.job)) {
          wanted.add(need.job);
          queue.push(need.job);
        }
      }
    }
    for (const job of jobs) {
      if (wanted.has(job.name) || skipped.has(job.name)) continue;
      skipped.add(job.name);
      excluded.push({
        name: job.name,
        definitionName: job.definitionName,
        stage: job.stage,
        ...(job.location ? { location: job.location } : {}),
        by: 'local',
        reason: 'not selected by the preset (jobs/stages)',
        ruleTrace: job.ruleTrace,
        variables: job.variables,
      });
    }
  }
  const kept = jobs.filter((job) => !skipped.has(job.name));
  return kept.map((job) => {
    let result = job;
    const dropped = (job.needs ?? []).filter((need) => skipped.has(need.job));
    if (dropped.length > 0) {
      warnings.push(
        `${job.name} needs ${dropped.map((need) => need.job).join(', ')}, which the glci config skips; it runs without their artifacts`,
      );
      result = { ...result, needs: job.needs!.filter((need) => !skipped.has(need.job)) };
    }
    if (job.dependencies?.some((name) => skipped.has(name)))
      result = { ...result, dependencies: job.dependencies.filter((name) => !skipped.has(name)) };
    const heldManual =
      local.manualAll ||
      local.manual?.jobs?.includes(job.definitionName) ||
      local.manual?.jobs?.includes(job.name) ||
      patternMatches(job.name, local.manual?.jobPatterns);
    if (local.noManual && result.when === 'manual')
      result = {
        ...result,
        when: 'on_success',
        localNote: 'manual in the YAML; started at once (no_manual)',
      };
    else if (
      heldManual &&
      result.when !== 'manual' &&
      result.when !== 'on_failure' &&
      result.when !== 'always'
    )
      result = {
        ...result,
        when: 'manual',
        localNote: `held as manual by the glci config (${local.manualAll ? 'manual_all' : '[manual]'})`,
      };
    return result;
  });
}

function summarize(context: PipelineContext): PipelinePlan['context'] {
  return {
    source: context.source,
    refType: context.refType,
    ref: context.ref,
    sha: context.commit.sha,
    beforeSha: context.beforeSha,
    defaultBranch: context.defaultBranch,
    projectPath: context.project.path,
    projectDir: context.project.dir,
    ...(context.mergeRequest
      ? {
          mergeRequest: {
            iid: context.mergeRequest.iid,
            sourceBranch: context.mergeRequest.sourceBranch,
            targetBranch: context.mergeRequest.targetBranch,
          },
        }
      : {}),
    ...(context.environmentName ? { environmentName: context.environmentName } : {}),
    commit: {
      message: context.commit.message,
      authorName: context.commit.authorName,
      authorEmail: context.commit.authorEmail,
      timestamp: context.commit.timestamp,
    },
    dirty: context.dirty,
  };
}
