export { extractArtifact, listArtifact } from './artifacts/artifact-reader.js';
export { ArchiveError, ArtifactError, ExtractConflictError, UnsafeEntryError } from './artifacts/errors.js';
export { type ExtractReport, ExtractTarget, type ExtractTargetOptions } from './artifacts/extract-target.js';
export { GzipFormatError, type GzipMember, readGzipMembers } from './artifacts/gzip-members.js';
export { type ArchiveEntry, extractZip, listZip } from './artifacts/zip-archive.js';
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
export { DAEMON_EXIT, type RunDaemonOptions, runDaemon } from './daemon-process.js';
export { isTemporaryName, writeFileAtomic, writeStreamAtomic } from './history/atomic-write.js';
export { HistoryStore, type HistoryStoreOptions, type ProjectInfo } from './history/history-store.js';
export { JobFiles, type StoredArtifact, type TraceWriter } from './history/job-files.js';
export {
  canonicalProjectDir,
  findProjectDir,
  InvalidHistoryNameError,
  projectKey,
} from './history/paths.js';
export {
  isActivePipeline,
  JOB_STATUSES,
  type JobRecord,
  type JobStatus,
  jobRecordSchema,
  type NewPipeline,
  PIPELINE_STATUSES,
  type PipelineRecord,
  type PipelineStatus,
  pipelineRecordSchema,
} from './history/pipeline-record.js';
export {
  CorruptRecordError,
  PipelineNotFoundError,
  ProjectHistory,
  type PruneOptions,
} from './history/project-history.js';
export { type LogFile, type LogRotationPolicy, logFiles, rotateLog } from './log/log-rotation.js';
export { type FollowOptions, followLines, readLastLines } from './log/log-tail.js';
export { isAlive } from './process-alive.js';
export {
  type AcquireLockOptions,
  acquireLock,
  LockHeldError,
  type LockStrategy,
  type ProcessLock,
  withLock,
} from './process-lock.js';
export {
  type ActiveWork,
  DAEMON_ROUTES,
  type DaemonStatus,
  type ErrorBody,
  type StopRequest,
  type StopResponse,
} from './server/daemon-api.js';
export { DaemonServer, type DaemonServerOptions, type StopReason } from './server/daemon-server.js';
export type { DaemonService, DaemonServiceContext } from './server/daemon-service.js';
export { DaemonHttpError } from './server/http-errors.js';
export { sendNdjson } from './server/ndjson.js';
export { DaemonAlreadyRunningError, DaemonSocketError } from './server/socket-file.js';
export { formatTimings, spanCategory } from './timings/format-timings.js';
export {
  type JobTimings,
  type PipelineTimings,
  pipelineTimings,
  type TimedSpan,
} from './timings/pipeline-timings.js';
export { timelineSvg } from './timings/timeline-svg.js';
export { type TimedSection, type TraceTimeline, traceTimeline } from './timings/trace-timeline.js';
export { keepSgrOnly, stripAnsi } from './trace/ansi.js';
export {
  isScriptSection,
  SectionFolder,
  type SectionFolderOptions,
  type TraceViewItem,
} from './trace/section-folder.js';
export { TimestampStripper } from './trace/timestamp-stripper.js';
export { type TraceEvent, TraceParser, type TraceParserOptions } from './trace/trace-parser.js';
export {
  formatSectionDuration,
  jobColour,
  renderTrace,
  TraceRenderer,
  type TraceRendererOptions,
  traceLineFormatter,
} from './trace/trace-renderer.js';
