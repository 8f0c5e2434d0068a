export { type CountingProxy, startCountingProxy } from './counting-proxy.js';
export { CRANE_BINARY, crane, type RunningCraneRegistry, startCraneRegistry } from './crane.js';
export { type DistributionOptions, type RunningDistribution, startDistribution } from './distribution.js';
export { ensureMockImage, ensureTestImages, MOCK_IMAGE, requireDocker, TEST_IMAGES } from './docker.js';
export {
  GITLAB_RUNNER_VERSION,
  gitlabRunnerCommand,
  LOCAL_RUNNER_CONFIG_LINES,
  RUNNER_IMAGES,
  type RunningGitlabRunner,
  requireGitlabRunner,
  startGitlabRunner,
} from './gitlab-runner.js';
export { GLCI_FROM_SOURCE, type RunningGlciRegistry, startGlciRegistry } from './glci.js';
export { boundedContainersConf, type RunningPodman, requirePodman, startPodman } from './podman.js';
export { freePort, type ManagedProcess, run, spawnManaged, waitFor } from './processes.js';
export {
  REMOTE_HOST_IMAGE,
  REMOTE_HOST_LABEL,
  type RemoteDockerHost,
  type SshDockerHost,
  startSshAgent,
  startSshDockerHost,
  startTlsDockerHost,
  type TlsDockerHost,
} from './remote-docker.js';
export {
  distributionS3StorageConfig,
  type RunningS3,
  type S3Options,
  startS3,
  VERSITYGW_BINARY,
} from './s3.js';
export { startTcpLink, type TcpLink } from './tcp-link.js';
export { OCI_MANIFEST, pushTinyImage, sha256Digest, type TinyImage } from './tiny-image.js';
export {
  createCertificateAuthority,
  createClientCertificate,
  type TestCertificate,
  type TestCertificateAuthority,
} from './tls-certificates.js';
