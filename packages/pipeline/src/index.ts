export type { FileOrigin } from './config/external-includes.js';
export type { IncludeEntry } from './config/include-entries.js';
export {
  describeAge,
  type IncludeEnvironment,
  type LoadConfigOptions,
  type LoadedFile,
  loadRawConfig,
  MAX_INCLUDED_FILES,
  type ProjectResolver,
  type RawConfig,
} from './config/load-config.js';
export { createMemoryProjectFiles, createProjectFiles, type ProjectFiles } from './config/project-files.js';
export type { InputSpec, InputValue } from './config/spec-inputs.js';
export { type ContextSpec, formatContextSpec, parseContextSpec } from './context/context-spec.js';
export {
  type PipelineContext,
  type PipelineSource,
  resolvePipelineContext,
} from './context/pipeline-context.js';
export { predefinedVariables, slugify } from './context/predefined.js';
export type * from './definition/types.js';
export {
  formatPipelineIssue,
  GitError,
  gitlabMessage,
  PipelineConfigError,
  type PipelineIssue,
  PipelineUsageError,
  UnsupportedFeatureError,
} from './errors.js';
export { type ExpressionResult, evaluateExpression } from './expression/evaluate-expression.js';
export { formatPlanDot, formatPlanMermaid, formatPlanText, planToJson } from './format/format-plan.js';
export { formatRuleTrace, formatVariablesText } from './format/format-variables.js';
export { createGitCli, findRepositoryRoot } from './git/git-cli.js';
export type { CommitFacts, GitFacts } from './git/git-facts.js';
export {
  artifactSources,
  assertRunnable,
  type JobRuntime,
  resolveJobVariables,
  toJobSpec,
} from './job-spec.js';
export { type LoadedPipeline, loadPipelineDefinition } from './load-pipeline.js';
export type { LocalSettings } from './plan/local-settings.js';
export { type PlanPipelineOptions, planPipeline } from './plan/plan-pipeline.js';
export type * from './plan/plan-types.js';
export { dropRedactedCiCd, REDACTED, redactCiCdValues } from './plan/redact.js';
export { MAX_CHILD_DEPTH } from './plan-downstream.js';
export {
  createRuleEnvironment,
  type LintResult,
  lintProject,
  planDynamicChild,
  planProject,
} from './plan-project.js';
export type { GitlabPlanning, PlanProjectOptions, ProjectMapping } from './plan-request.js';
export type { RuleEnvironment, RuleTrace } from './rules/evaluate-rules.js';
export { type CiCdLayers, type CiCdVariables, ciCdLayers, pipelineRef } from './variables/ci-cd-variables.js';
export {
  type CiCdOrigin,
  PIPELINE_LEVEL_SOURCES,
  parseAssignment,
  parseEnvFile,
  type ResolvedVariable,
  type ResolvedVariables,
  resolveVariables,
  VARIABLE_PRECEDENCE,
  type VariableEntry,
  type VariableLayer,
  type VariableSource,
} from './variables/layers.js';
export type { SourceLocation } from './yaml/source-map.js';
