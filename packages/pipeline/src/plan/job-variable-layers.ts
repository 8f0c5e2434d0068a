import type { PipelineContext } from '../context/pipeline-context.js';
import { slugify } from '../context/predefined.js';
import type { JobDefinition, PipelineDefinition } from '../definition/types.js';
import type { CiCdLayers } from '../variables/ci-cd-variables.js';
import { expandText } from '../variables/expand.js';
import { resolveVariables, type VariableEntry, type VariableLayer } from '../variables/layers.js';
import type { LocalSettings } from './local-settings.js';

/**
 * A job's layers with the CI/CD variables its environment gets (`environment_scope`): the
 * environment's name expanded with the job's other variables, as GitLab expands it; `--context
 * env=NAME` stands for an environment for jobs without one.
 */
export function withCiCd(
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

/** A `variables:` entry of the YAML (global, job, rule or workflow rule) as a layer entry; `expand: false` makes it raw. */
export function toEntry(variable: {
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

/**
 * The layers one job instance's variables resolve from, lowest first: the pipeline's (the global
 * YAML ones as `inherit:variables` allows), the job's predefined ones, its `variables:`, its
 * `parallel:matrix` values, then the local config's `[jobs."name"].variables`.
 */
export function jobLayers(
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
