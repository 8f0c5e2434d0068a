import type { RuleTrace } from '../rules/evaluate-rules.js';
import type { VariableLayer } from '../variables/layers.js';
import type { ExcludedJob, PipelinePlan, PlannedJob } from './plan-types.js';

/** What a CI/CD variable's value becomes wherever a plan is written down. */
export const REDACTED = '[REDACTED]';

/**
 * The plan with every CI/CD variable of the GitLab instance redacted: their values (and what a
 * rule trace read of them) become `[REDACTED]`, while their names, levels, scopes and flags stay.
 * The values live only in memory (the daemon's secrets store): this is the plan that may be
 * printed as JSON or saved for crash recovery. `restoreCiCdValues` puts them back.
 */
export function redactCiCdValues(plan: PipelinePlan): PipelinePlan {
  const names = ciCdNames(plan.variables);
  const redactedLayers = new Map<VariableLayer, VariableLayer>();
  const layers = (list: readonly VariableLayer[]) =>
    list.map((layer) => {
      if (!layer.entries.some((entry) => entry.ciCd)) return layer;
      let redacted = redactedLayers.get(layer);
      if (!redacted) {
        redacted = {
          ...layer,
          entries: layer.entries.map((entry) => (entry.ciCd ? { ...entry, value: REDACTED } : entry)),
        };
        redactedLayers.set(layer, redacted);
      }
      return redacted;
    });
  const job = <T extends PlannedJob | ExcludedJob>(each: T): T => {
    const own = new Set([...names, ...ciCdNames(each.variables)]);
    return {
      ...each,
      variables: layers(each.variables),
      ruleTrace: traces(each.ruleTrace, own),
      ...('trigger' in each && each.trigger?.pipeline
        ? { trigger: { ...each.trigger, pipeline: redactCiCdValues(each.trigger.pipeline) } }
        : {}),
    };
  };
  return {
    ...plan,
    variables: layers(plan.variables),
    workflow: { ...plan.workflow, trace: traces(plan.workflow.trace, names) },
    jobs: plan.jobs.map(job),
    excluded: plan.excluded.map(job),
  };
}

function ciCdNames(layers: readonly VariableLayer[]): Set<string> {
  const names = new Set<string>();
  for (const layer of layers) for (const entry of layer.entries) if (entry.ciCd) names.add(entry.name);
  return names;
}

function traces(list: readonly RuleTrace[], names: ReadonlySet<string>): readonly RuleTrace[] {
  if (names.size === 0) return list;
  return list.map((trace) =>
    trace.if && Object.keys(trace.if.variables).some((name) => names.has(name))
      ? {
          ...trace,
          if: {
            ...trace.if,
            variables: Object.fromEntries(
              Object.entries(trace.if.variables).map(([name, value]) => [
                name,
                names.has(name) && value !== null ? REDACTED : value,
              ]),
            ),
          },
        }
      : trace,
  );
}

/**
 * A plan read back after a daemon restart, without the CI/CD variables whose values were redacted
 * when it was saved (they were only in the previous daemon's memory): jobs that start after the
 * restart run without them rather than with `[REDACTED]`.
 */
export function dropRedactedCiCd(plan: PipelinePlan): PipelinePlan {
  const layers = (list: readonly VariableLayer[]) =>
    list.map((layer) =>
      layer.entries.some((entry) => entry.ciCd && entry.value === REDACTED)
        ? { ...layer, entries: layer.entries.filter((entry) => !(entry.ciCd && entry.value === REDACTED)) }
        : layer,
    );
  return {
    ...plan,
    variables: layers(plan.variables),
    jobs: plan.jobs.map((job) => ({
      ...job,
      variables: layers(job.variables),
      ...(job.trigger?.pipeline
        ? { trigger: { ...job.trigger, pipeline: dropRedactedCiCd(job.trigger.pipeline) } }
        : {}),
    })),
  };
}
