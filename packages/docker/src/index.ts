export {
  type ConnectDockerOptions,
  classifyConnectionError,
  compareApiVersions,
  connectDocker,
  type DockerConnection,
  dockerodeOptions,
  MAX_API_VERSION,
  MIN_API_VERSION,
  type TransportOptions,
} from './connection.js';
export {
  type ContainerSpec,
  type FileToCopy,
  type HealthcheckSpec,
  type MountSpec,
  type PortSpec,
  toCreateOptions,
} from './container-spec.js';
export {
  buildkitdToml,
  DAEMON_REGISTRY_KEYS,
  type DaemonConfig,
  DIND_CLIENT_CERT_DIR,
  DIND_NETWORK_SETTINGS,
  DIND_PLAIN_PORT,
  DIND_TLS_PORT,
  type DindReadinessOptions,
  dindClientEnv,
  dindDaemonConfig,
  dindDaemonJson,
  dindNetworkFlags,
  dindServiceEnv,
  waitForDind,
} from './dind.js';
export { dockerCall } from './docker-call.js';
export { DockerOrchestrator, type DockerOrchestratorOptions } from './docker-orchestrator.js';
export {
  checkContainerSocket,
  DockerSettingError,
  isDockerInDockerImage,
  type JobServices,
  refuseDindWithoutPrivileged,
} from './docker-settings.js';
export { type SshDestination, SshDialAgent, type SshDialOptions } from './engine/ssh-dial.js';
export {
  DockerConnectionError,
  type DockerConnectionProblem,
  DockerOperationError,
  ImageNotPresentError,
  ImageTransferError,
  isConflict,
  isNotFound,
  WaitTimeoutError,
} from './errors.js';
export { createExecAgent, type ExecAgentOptions, ExecTunnelAgent } from './exec-tunnel/exec-agent.js';
export { ExecStream, ExecTunnelError } from './exec-tunnel/exec-stream.js';
export { type DemuxedChunk, StreamDemuxer, StreamFormatError } from './exec-tunnel/stream-demuxer.js';
export { PullProgressTracker, pullImage } from './image-pull.js';
export {
  type ImageTransferProgress,
  type SendImagesOptions,
  type SentImage,
  sendImages,
  type TransferEngine,
} from './image-transfer.js';
export { type DaemonFacts, jobExtraHosts, rewriteRegistryImage, supportsHostGateway } from './job-wiring.js';
export * from './labels.js';
export {
  MOCK_READY_LINE,
  MOCK_TUNNEL_COMMAND,
  type MockOptions,
  mockContainerSidePort,
  mockContainerSpec,
} from './mock-container.js';
export { DockerStartedNetwork } from './network.js';
export type * from './orchestrator.js';
export { type DiskUsageEntry, type DiskUsageReport, diskUsage, reapGlciObjects } from './reaper.js';
export { type RecoveryReport, recoverPipelines, type SurvivingPipeline } from './recovery.js';
export {
  DOCKER_HUB_AUTH_KEY,
  dockerConfigAuth,
  normalizeImageReference,
  registryHost,
} from './registry-auth.js';
export { dockerNamePart, type RunnerNameParts, type RunnerTier, runnerName } from './runner-names.js';
export { type RunnerObjectsReport, removeRunnerObjects, runnerShortToken } from './runner-objects.js';
export { DockerStartedContainer } from './started-container.js';
export { createTar, type TarEntry } from './tar.js';
export {
  GlciTopology,
  MOCK_ALIAS,
  type PipelineNetworks,
  RUNNER_CONFIG_DIR,
  type RunnerSpec,
  type TopologyOptions,
} from './topology.js';
export { type WaitForHealthyOptions, waitForHealthy } from './wait/health.js';
export { dockerSince, type WaitForLogLineOptions, waitForLogLine } from './wait/log-line.js';
