/**
 * `@glci/daemon/client`: what a CLI command needs to find, start and talk to the daemon, without
 * loading the server side (express) or the history and archive code. `glci version` and `glci
 * daemon status` stay fast.
 */
export {
  type BuildInfo,
  buildIdentity,
  computeBuildInfo,
  parseBuildInfo,
  readBuildInfo,
  shortBuildIdentity,
} from './build-info.js';
export {
  DaemonClient,
  type DaemonClientOptions,
  DaemonNotRunningError,
  DaemonRequestError,
  type RequestOptions,
} from './client/daemon-client.js';
export {
  type DaemonCommand,
  DaemonStartError,
  type EnsureDaemonOptions,
  type EnsuredDaemon,
  ensureDaemon,
} from './client/ensure-daemon.js';
export { type LogFile, logFiles } from './log/log-rotation.js';
export { type FollowOptions, followLines, readLastLines } from './log/log-tail.js';
export { isAlive } from './process-alive.js';
export type { ActiveWork, DaemonStatus, StopResponse } from './server/daemon-api.js';
export { DaemonSocketError } from './server/socket-file.js';
