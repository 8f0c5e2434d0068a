export { type CloneOptions, cloneProject, gitEnvironmentFor } from './clone.js';
export type {
  AccessLevel,
  ArtifactFixture,
  CommitFixture,
  GroupFixture,
  InstanceFixture,
  ProjectFixture,
  TokenFixture,
  UserFixture,
  VariableFixture,
} from './fixture-types.js';
export type { Latency } from './latency.js';
export type { CannedAnswer, RunningRemoteServer } from './remote-server.js';
export {
  DEFAULT_FIXTURES_DIR,
  mostAtOnce,
  type RequestRecord,
  type RunningStandin,
  type StandinOptions,
  startGitlabStandin,
} from './standin.js';
export { generateTestCertificates, type TestCertificates } from './tls.js';
