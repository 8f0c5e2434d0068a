export {
  getCiTemplate,
  listGroupVariables,
  listInstanceVariables,
  listProjectVariables,
} from './api/ci-api.js';
export { getAccessTokenSelf, getCurrentUser, getOauthTokenInfo, getVersion } from './api/identity-api.js';
export {
  downloadJobArtifacts,
  getProject,
  listProtectedBranches,
  listProtectedTags,
  listReleases,
} from './api/project-api.js';
export { getBranch, getCommitId, getRawFile, getTag, listTree, projectId } from './api/repository-api.js';
export type { ApiVariable, GitlabProject, GitlabRelease } from './api/schemas.js';
export {
  type Cached,
  IncludeCache,
  isMovingRef,
  type RefKind,
  type ResolvedRefEntry,
} from './cache/include-cache.js';
export {
  type AccessReport,
  checkGitlabAccess,
  type ProjectAccess,
  type Readable,
} from './check/check-access.js';
export {
  checkPassed,
  describeGitlab,
  formatGitlabText,
  type GitlabDescription,
} from './check/describe-gitlab.js';
export {
  connectGitlab,
  type GitlabConnection,
  type GitlabConnectionOptions,
  type ProjectVariables,
  variablesFromWire,
  variablesToWire,
} from './connection.js';
export {
  describeSubject,
  GitAccessError,
  GitlabError,
  GitlabRequestError,
  GitlabResponseError,
  GitlabSetupError,
  GitlabUnreachableError,
  IntegrityMismatchError,
  InvalidReferenceError,
  NotCachedError,
  RemoteIncludeError,
  type RequestSubject,
} from './errors.js';
export { GitProjectAccess } from './git/git-access.js';
export { type ApiClientOptions, GitlabApiClient } from './http/api-client.js';
export {
  type ComponentAddress,
  componentFileCandidates,
  LATEST,
  parseComponentAddress,
  type VersionKind,
  versionKind,
} from './includes/component-address.js';
export type { FetchProgress } from './includes/fetch-tracker.js';
export { createIncludeSource, type IncludeSourceOptions } from './includes/gitlab-include-source.js';
export {
  type ComponentContext,
  describeOrigin,
  type IncludedFile,
  type IncludeOrigin,
  type IncludeSource,
  type RemoteProject,
  type ResolvedComponent,
} from './includes/include-source.js';
export { integrityOf, parseIntegrity } from './includes/integrity.js';
export { maskUrl, RemoteFileFetcher } from './includes/remote-fetcher.js';
export { type ReleaseVersion, selectReleaseVersion } from './includes/select-version.js';
export {
  fixedDirectoryOf,
  isWildcardPath,
  matchWildcardPath,
  wildcardPathPattern,
} from './includes/wildcard-path.js';
export {
  DEFAULT_INSTANCE_URL,
  type GitlabInstance,
  type InstanceUrlSource,
  normalizeInstanceUrl,
  readOriginUrl,
  resolveGitlabInstance,
} from './instance.js';
export {
  type GitlabSession,
  gitlabSessionSchema,
  type InstanceWire,
  instanceFromWire,
  instanceToWire,
  instanceWireSchema,
} from './instance-wire.js';
export { isPathSegment, isProjectPath, type OriginRemote, parseOriginRemote } from './origin-remote.js';
export { GitlabToken, guessScheme, type TokenScheme, type TokenSource } from './token.js';
export {
  type CiVariable,
  describeLevel,
  displayValue,
  fromApiVariable,
  type VariableLevel,
} from './variables/ci-variable.js';
export {
  environmentScopeRank,
  forEnvironment,
  matchesEnvironmentScope,
} from './variables/environment-scope.js';
export { ancestorPaths, type FetchedVariables, fetchRemoteVariables } from './variables/fetch-variables.js';
export {
  isProtectedRef,
  matchesProtectedRule,
  type PipelineRef,
  type ProtectedRefRules,
} from './variables/protected-ref.js';
export {
  limitToScope,
  type RemoteVariableSet,
  type ResolvedVariable,
  resolveRemoteVariables,
  type SecretsScope,
  type VariableContext,
} from './variables/resolve-variables.js';
export { SecretsStore, type SecretsStoreOptions, secretsKey } from './variables/secrets-store.js';
