export { DindWiring, isDindService, type PreparedDindJob, usesDockerInDocker } from './dind-wiring.js';
export {
  type ArtifactInfo,
  MockClient,
  type MockClientOptions,
  type MockEvent,
  type MockJob,
  MockRequestError,
} from './mock-client.js';
export { type FleetEntry, type FleetSettings, RunnerFleet } from './runner-fleet.js';
