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
  type JobTokenAuthOptions,
  type JobTokenVerifier,
  jobTokenAuth,
  withinPath,
} from './job-token-auth.js';
export { type RunnerConfigOptions, renderRunnerConfig } from './runner-config.js';
