/**
 * `@glci/docker/pull-progress`: summing an image pull's progress events, without dockerode or the
 * orchestrator, for a CLI that only shows the progress the daemon reports.
 */

export { PullProgressTracker } from './image-pull.js';
export type { PullProgressEvent } from './orchestrator.js';
