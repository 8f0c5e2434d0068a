/**
 * `@glci/daemon/trace`: rendering a job log as `glci run` prints it, without the daemon's server,
 * history or archive code, so that `glci run` starts quickly (its first log line is waited for).
 */
export { stripAnsi } from './trace/ansi.js';
export {
  formatSectionDuration,
  jobColour,
  TraceRenderer,
  type TraceRendererOptions,
} from './trace/trace-renderer.js';
