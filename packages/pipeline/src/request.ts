/**
 * `@glci/pipeline/request`: what a command needs to build a `planProject` request (the context, the
 * repository's root, variable assignments and env files) without loading the planner, the YAML
 * parsers and the rule engine: `glci run` plans in the daemon and only builds the request, and
 * its user waits for its first log line.
 */
export { type ContextSpec, parseContextSpec } from './context/context-spec.js';
export { PipelineUsageError } from './errors.js';
export {
  findRepositoryRoot,
  type OpenedRepository,
  type OpenRepositoryOptions,
  openGitRepository,
} from './git/git-cli.js';
export type { GitFacts } from './git/git-facts.js';
export type { LocalSettings } from './plan/local-settings.js';
export type { PlanProjectOptions } from './plan-request.js';
export { parseAssignment, parseEnvFile, type VariableLayer } from './variables/layers.js';
