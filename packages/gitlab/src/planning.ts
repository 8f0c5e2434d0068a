/**
 * `@glci/gitlab/planning`: what planning needs from this package without loading its HTTP client
 * (got takes a few hundred milliseconds to load, and most plans never talk to GitLab): the
 * instance's resolution and its wire form for the daemon, the error classes to recognise a GitLab
 * failure, and GitLab's semantics for CI/CD variables. The connection itself (`connectGitlab`)
 * comes from the package's main entry, loaded when a plan first needs the instance.
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
export type { FetchProgress } from './includes/fetch-tracker.js';
export type {
  IncludedFile,
  IncludeOrigin,
  IncludeSource,
  RemoteProject,
  ResolvedComponent,
} from './includes/include-source.js';
export { describeOrigin } from './includes/include-source.js';
export {
  type GitlabInstance,
  type InstanceUrlSource,
  readOriginUrl,
  resolveGitlabInstance,
} from './instance.js';
export {
  type GitlabSession,
  gitlabSessionSchema,
  type InstanceWire,
  instanceFromWire,
  instanceToWire,
} from './instance-wire.js';
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
