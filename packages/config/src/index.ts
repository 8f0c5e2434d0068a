export { type DaemonSocketSource, type ResolvedDaemon, resolveDaemon } from './daemon.js';
export { didYouMean } from './did-you-mean.js';
export {
  DEFAULT_DOCKER_SOCKET,
  type DockerHostSource,
  type DockerTls,
  type ResolvedDockerHost,
  resolveContainerSocket,
  resolveDockerHost,
} from './docker-host.js';
export { type Environment, expandEnvironment } from './env.js';
export { ConfigError, type ConfigIssue, displayPath, formatIssue } from './errors.js';
export {
  type ExternalRegistry,
  type ExternalRegistryFlags,
  resolveExternalRegistry,
} from './external-registry.js';
export { formatConfigJson, formatConfigToml, toConfigToml, toDisplayObject } from './format.js';
export { type LoadConfigOptions, type LoadedConfig, loadConfig, parseConfig } from './load.js';
export { findProjectConfig, GLOBAL_CONFIG_NAME, glciHome, PROJECT_CONFIG_NAME } from './locations.js';
export {
  type CreateLoggerOptions,
  createLogger,
  createSilentLogger,
  type Logger,
  type LogLevel,
} from './logger.js';
export { ADDITIVE_LISTS, mergeConfigLayers } from './merge.js';
export { formatNetworkText, type ResolvedNetwork, resolveNetwork } from './network.js';
export { type ResolvedPreset, resolvePreset } from './presets.js';
export { isSecretKey, REDACTED, redactForLog, redactSecrets, redactText } from './redact.js';
export {
  configSchema,
  DEFAULT_UPSTREAMS,
  type GitlabConfig,
  type GlciConfig,
  type GlciConfigInput,
  type JobOverrideConfig,
  type PipelinePresetConfig,
  type RunnerEntryConfig,
  type StorageConfig,
  type UpstreamConfig,
} from './schema.js';
export { formatDuration, formatSize, parseDuration, parseSize, UnitParseError } from './units.js';
