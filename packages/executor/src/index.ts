export { DindWiring, isDindService, type PreparedDindJob, usesDockerInDocker } from './dind-wiring.js';
export { type ImageReference, parseImageReference, upstreamRegistry } from './image-reference.js';
export {
  Infrastructure,
  type InfrastructureOptions,
  mockSecret,
  type ReadyInfrastructure,
} from './infrastructure.js';
export { JobImages, type RegistryNames } from './job-images.js';
export {
  type ArtifactInfo,
  MockClient,
  type MockClientOptions,
  type MockEvent,
  type MockJob,
  MockRequestError,
} from './mock-client.js';
export { type JobWatch, MockEventHub } from './mock-event-hub.js';
export {
  type ExecutionEvent,
  type ExecutionHooks,
  type ExecutionOptions,
  PipelineExecution,
  selectedJobs,
} from './pipeline-execution.js';
export { type FleetEntry, type FleetSettings, RunnerFleet } from './runner-fleet.js';
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
export { EventLog } from './service/event-log.js';
export { GitlabService } from './service/gitlab-service.js';
export { HistoryWriter } from './service/history-writer.js';
export {
  PipelineService,
  type RunNotCreated,
  type RunRequest,
  type RunStarted,
  runRequestSchema,
  type WireEvent,
} from './service/pipeline-service.js';
export type { ShownVariable } from './service/run-planning.js';
