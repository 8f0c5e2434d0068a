export {
  type RunnerConfigOptions,
  type RunnerEntryOptions,
  type RunnerGlobalOptions,
  renderRunnerConfig,
  renderRunnersConfig,
} from '@glci/runner-api';
export {
  createMockServer,
  DEFAULT_MOCK_PORT,
  type MockListenOptions,
  type MockServer,
  type MockServerOptions,
  type RunningMockServer,
} from './create-mock-server.js';
export { internalSecretGuard } from './internal-routes.js';
export {
  ANONYMOUS_TOKEN,
  type JobTokenAuthOptions,
  type JobTokenVerifier,
  jobTokenAuth,
  withinPath,
} from './job-token-auth.js';
export { healthcheck, type StartedMock, startMock } from './main.js';
export { type MockSettings, readMockSettings, SettingsError } from './settings.js';
