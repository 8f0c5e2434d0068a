export {
  type ArtifactMeta,
  type ArtifactRecord,
  type ArtifactStore,
  FsArtifactStore,
} from './artifact-store.js';
export { type CacheEntry, FsCacheStore, MAX_CACHE_ENTRY_SIZE, validateCacheKey } from './cache-store.js';
export { type Clock, systemClock } from './clock.js';
export { crc32, formatChecksum } from './crc32.js';
export {
  type CreateRunnerApiOptions,
  createRunnerApi,
  type JobTokenClaims,
  type RunnerApi,
} from './create-runner-api.js';
export { DOTENV_MAX_BYTES, DOTENV_MAX_VARIABLES, parseDotenv } from './dotenv.js';
export { parseExpireIn } from './duration.js';
export {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InsufficientStorageError,
  InvalidJobStateError,
  NotFoundError,
  PayloadTooLargeError,
  RangeMismatchError,
  RunnerApiError,
  TraceMismatchError,
  UnauthorizedError,
} from './errors.js';
export {
  ExternalRegistries,
  REGISTRY_HOST_PATTERN,
  type RegistryCredentials,
} from './external-registries.js';
export { FileBackedTraceStore } from './file-trace-store.js';
export { type PackOptions, packRepository, type RepositoryPack } from './git-pack.js';
export { GitServer, type Published, type PublishOptions, type ReceiveOptions } from './git-server.js';
export { errorHandler } from './http/http-errors.js';
export { IdTokenIssuer, idTokenClaims } from './id-tokens.js';
export {
  type JobEvent,
  JobEvents,
  type StateEvent,
  type TraceEvent,
  type TraceResetEvent,
  type TraceVerifiedEvent,
} from './job-events.js';
export {
  ACTIVE_STATES,
  type ClaimOptions,
  FINAL_STATES,
  type JobQueue,
  type JobRecord,
  type JobState,
  type JobUpdate,
  MemoryJobQueue,
  type SavedJobs,
} from './job-queue.js';
export { JsonFile } from './json-file.js';
export { buildJobPayload, defaultRefspecs, FAILURE_REASONS } from './payload.js';
export {
  type RunnerConfigOptions,
  type RunnerEntryOptions,
  type RunnerGlobalOptions,
  renderRunnerConfig,
  renderRunnersConfig,
} from './runner-config.js';
export {
  MemoryRunnerStore,
  normalizeTags,
  type Runner,
  type RunnerInfo,
  type RunnerStore,
  runnerMatches,
  type SavedRunners,
} from './runner-store.js';
export { type JobSpec, type JobSpecInput, jobSpecSchema } from './schemas.js';
export { TokenIssuer } from './tokens.js';
export { type AppendResult, MemoryTraceStore, type TraceRange, type TraceStore } from './trace-store.js';
export { type JobVariable, predefinedVariables, type ServerContext, slugify } from './variables.js';
