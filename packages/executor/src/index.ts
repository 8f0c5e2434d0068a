export { DindWiring, isDindService, type PreparedDindJob, usesDockerInDocker } from './dind-wiring.js';
export type { ExecutionEvent, ExecutionHooks, ExecutionState } from './execution-events.js';
export type { ExecutionOptions } from './execution-options.js';
export { type ImageReference, parseImageReference, upstreamRegistry } from './image-reference.js';
export {
  Infrastructure,
  type InfrastructureOptions,
  mockSecret,
  type ReadyInfrastructure,
} from './infrastructure.js';
export { JobImages, type RegistryNames } from './job-images.js';
export { DEFAULT_TOKEN_PREFIXES, LiveMasker } from './live-masker.js';
export { type LiveLines, LiveOutput } from './live-output.js';
export {
  type ArtifactInfo,
  MockClient,
  type MockClientOptions,
  type MockEvent,
  type MockJob,
  MockRequestError,
} from './mock-client.js';
export { type JobWatch, MockEventHub } from './mock-event-hub.js';
export { namedFleetEntry, syncNamedRunners } from './named-runners.js';
export { PipelineExecution } from './pipeline-execution.js';
export { ProjectRunners, type ProjectRunnersOptions } from './project-runners.js';
export {
  checkRunnerSocket,
  execTunnel,
  isOtherEngine,
  isRemoteEngine,
  sendLocalImages,
} from './remote-engine.js';
export {
  assignRunner,
  type ConfiguredRunner,
  configuredRunners,
  pendingMessage,
  type RunnerAssignment,
  SHARED_RUNNER_NAME,
  sharedRunners,
} from './runner-assignment.js';
export {
  type FleetEntry,
  type FleetSettings,
  type NamedRunnerSettings,
  RunnerFleet,
} from './runner-fleet.js';
export {
  type RoutingOptions,
  type RunnerRoute,
  routeJob,
  SERVICES_TAG,
  STANDING_ENTRIES,
  type StandingEntry,
} from './runner-routing.js';
export { RunnerSlots } from './runner-slots.js';
export {
  allowsFailure,
  FINISHED,
  type JobOutcome,
  type JobProgress,
  type JobStatus,
  PipelineScheduler,
  type PipelineStatus,
  ResourceGroups,
  type SchedulableJob,
  type SchedulerOptions,
} from './scheduler.js';
export { selectedJobs } from './selected-jobs.js';
export { EventLog } from './service/event-log.js';
export { GitlabService } from './service/gitlab-service.js';
export { HistoryWriter } from './service/history-writer.js';
export { PipelineService } from './service/pipeline-service.js';
export type { ShownVariable } from './service/run-planning.js';
export {
  type RunNotCreated,
  type RunRequest,
  type RunStarted,
  runRequestSchema,
  type WireEvent,
} from './service/run-request.js';
export { StuckJobs } from './stuck-jobs.js';
