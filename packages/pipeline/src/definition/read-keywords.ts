/**
 * The readers of the job and `default:` keywords that take more than a scalar, one module per
 * keyword (or pair of keywords that share their fields), gathered here for `read-job.ts` and
 * `read-pipeline.ts`. `rules`, `only`/`except`, `needs` and `allow_failure` are in `read-rules.ts`.
 */
export { readArtifacts } from './read-artifacts.js';
export { readCaches } from './read-cache.js';
export { readEnvironment } from './read-environment.js';
export { readIdTokens } from './read-id-tokens.js';
export { readImage, readServices } from './read-image.js';
export { DEFAULT_KEYWORDS, readInherit } from './read-inherit.js';
export { readParallel } from './read-parallel.js';
export { readRetry } from './read-retry.js';
export { readTrigger } from './read-trigger.js';
