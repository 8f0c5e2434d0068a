export { type DistributionOptions, type RunningDistribution, startDistribution } from './distribution.js';
export { ensureTestImages, requireDocker, TEST_IMAGES } from './docker.js';
export { freePort, type ManagedProcess, run, spawnManaged, waitFor } from './processes.js';
