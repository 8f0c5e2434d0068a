import { resolveExtends } from './config/extends.js';
import { type LoadConfigOptions, loadRawConfig, type RawConfig } from './config/load-config.js';
import { resolveReferences } from './config/references.js';
import { checkJobGraph } from './definition/job-graph.js';
import { readPipelineDefinition } from './definition/read-pipeline.js';
import type { PipelineDefinition } from './definition/types.js';
import { PipelineConfigError } from './errors.js';

export interface LoadedPipeline {
  readonly definition: PipelineDefinition;
  readonly raw: RawConfig;
  readonly warnings: readonly string[];
}

/**
 * Loads and validates a project's CI configuration: the root file and its includes (with `rules`
 * and `inputs`), then `extends`, then `!reference`, then GitLab's validation of the keywords and
 * of the jobs' needs and dependencies (what CI Lint checks). Throws
 * `PipelineConfigError` (or `UnsupportedFeatureError`) listing every problem with file:line:column.
 */
export async function loadPipelineDefinition(options: LoadConfigOptions): Promise<LoadedPipeline> {
  const raw = await loadRawConfig(options);
  const extended = resolveExtends(raw.content, raw.sourceMap);
  const referenced = resolveReferences(extended, raw.sourceMap);
  const warnings = [...raw.warnings];
  const definition = readPipelineDefinition(referenced, raw.sourceMap, warnings);
  const graphIssues = checkJobGraph(definition);
  if (graphIssues.length > 0) throw new PipelineConfigError(graphIssues);
  return { definition, raw, warnings };
}
