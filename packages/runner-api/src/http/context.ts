import type { Logger } from '@glci/config';
import type { Request } from 'express';
import type { ArtifactStore } from '../artifact-store.js';
import type { FsCacheStore } from '../cache-store.js';
import type { Clock } from '../clock.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { GitServer } from '../git-server.js';
import type { IdTokenIssuer } from '../id-tokens.js';
import type { JobEvents } from '../job-events.js';
import { ACTIVE_STATES, type JobQueue, type JobRecord } from '../job-queue.js';
import type { RunnerStore } from '../runner-store.js';
import type { TokenIssuer } from '../tokens.js';
import type { TraceStore } from '../trace-store.js';
import type { ServerContext } from '../variables.js';

/** Everything the route files share; built once by `createRunnerApi`. */
export interface ApiContext {
  readonly runners: RunnerStore;
  readonly queue: JobQueue;
  readonly traces: TraceStore;
  readonly artifacts: ArtifactStore;
  readonly cache: FsCacheStore;
  readonly git: GitServer;
  readonly tokens: TokenIssuer;
  readonly idTokens: IdTokenIssuer;
  readonly events: JobEvents;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly server: ServerContext;
  readonly registrationToken: string;
  readonly longPollMs: number;
  readonly traceUpdateInterval: number;
  readonly maxArtifactSize: number;
  readonly cacheBucket: string;
  /** Jobs answered 412: their next PATCH from offset 0 starts the log afresh. */
  readonly pendingTraceResets: Set<number>;
}

/** A header's single value (Express joins repeated ones; a list is refused). */
export function header(req: Request, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `:id` as a positive integer, else 404 (GitLab answers unknown ids with 404). */
export function jobIdParam(value: unknown): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,14}$/.test(value)) throw new NotFoundError('job not found');
  return Number(value);
}

/**
 * The job that `token` authenticates, which must be job `jobId`. Returns it in any state (so a
 * final or canceled state can be reported back through `Job-Status`); callers decide what a
 * non-running job may do.
 */
export function jobForToken(ctx: ApiContext, token: unknown, jobId: number): JobRecord {
  const tokenJob = ctx.tokens.parseJobToken(token);
  if (tokenJob === undefined) throw new ForbiddenError('Forbidden: invalid or missing job token');
  if (tokenJob !== jobId)
    throw new ForbiddenError(`Forbidden: the job token does not belong to job ${jobId}`);
  const job = ctx.queue.get(jobId);
  if (!job) throw new NotFoundError('job not found');
  return job;
}

/** The running job a token belongs to, for git, artifacts and the registry; undefined otherwise. */
export function runningJobForToken(ctx: ApiContext, token: unknown): JobRecord | undefined {
  const jobId = ctx.tokens.parseJobToken(token);
  const job = jobId === undefined ? undefined : ctx.queue.get(jobId);
  return job && ACTIVE_STATES.has(job.state) ? job : undefined;
}

/** GitLab's `Job-Status` for a job state (`pending` jobs do not reach the runner). */
export function jobStatusHeader(job: JobRecord): string {
  return job.state;
}
