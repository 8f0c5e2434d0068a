/**
 * `@glci/gitlab/planning`: what a pipeline's planning needs from this package without loading its
 * HTTP client (got takes a few hundred milliseconds to load, and most plans never talk to GitLab):
 * the error classes to recognise a GitLab failure, and GitLab's semantics for CI/CD variables. The
 * include source itself is created by the caller (`createIncludeSource`) and passed in.
 */
export {
  GitAccessError,
  GitlabError,
  GitlabRequestError,
  GitlabResponseError,
  GitlabUnreachableError,
  IntegrityMismatchError,
  InvalidReferenceError,
  NotCachedError,
  RemoteIncludeError,
} from './errors.js';
export type {
  IncludedFile,
  IncludeOrigin,
  IncludeSource,
  RemoteProject,
  ResolvedComponent,
} from './includes/include-source.js';
export { describeOrigin } from './includes/include-source.js';
export { type CiVariable, describeLevel, type VariableLevel } from './variables/ci-variable.js';
export type { PipelineRef } from './variables/protected-ref.js';
export { isProtectedRef } from './variables/protected-ref.js';
export {
  limitToScope,
  type RemoteVariableSet,
  type ResolvedVariable,
  resolveRemoteVariables,
  type SecretsScope,
} from './variables/resolve-variables.js';
