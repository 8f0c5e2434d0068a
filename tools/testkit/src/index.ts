export { CRANE_BINARY, crane, type RunningCraneRegistry, startCraneRegistry } from './crane.js';
export { type DistributionOptions, type RunningDistribution, startDistribution } from './distribution.js';
export { ensureTestImages, requireDocker, TEST_IMAGES } from './docker.js';
export { GLCI_FROM_SOURCE, type RunningGlciRegistry, startGlciRegistry } from './glci.js';
export { freePort, type ManagedProcess, run, spawnManaged, waitFor } from './processes.js';
export {
  distributionS3StorageConfig,
  type RunningS3,
  type S3Options,
  startS3,
  VERSITYGW_BINARY,
} from './s3.js';
export { OCI_MANIFEST, pushTinyImage, sha256Digest, type TinyImage } from './tiny-image.js';
