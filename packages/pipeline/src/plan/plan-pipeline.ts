import type { LoadedFile } from '../config/load-config.js';
import type { PipelineContext } from '../context/pipeline-context.js';
import { predefinedVariables } from '../context/predefined.js';
import { parseHumanDuration } from '../definition/duration.js';
import type { PipelineDefinition } from '../definition/types.js';
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
import { applyLocalSettings } from './apply-local-settings.js';
import type { CacheKeyEnvironment } from './cache-key.js';
import { summarizeContext } from './context-summary.js';
import { jobLayers, toEntry, withCiCd } from './job-variable-layers.js';
import type { LocalSettings } from './local-settings.js';
import { resolveNeeds } from './needs.js';
import { expandParallel } from './parallel.js';
import { buildPayload } from './plan-job.js';
import type { ExcludedJob, PipelinePlan, PlannedJob, PlannedJobDraft, PlannedTrigger } from './plan-types.js';

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
    ...summarizeContext(context),
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
