import path from 'node:path';
import type { Readable } from 'node:stream';
import { createSilentLogger, type Logger } from '@glci/config';
import { json, type RequestHandler, Router } from 'express';
import { type ArtifactRecord, type ArtifactStore, FsArtifactStore } from './artifact-store.js';
import { FsCacheStore, MAX_CACHE_ENTRY_SIZE } from './cache-store.js';
import { type Clock, systemClock } from './clock.js';
import { BadRequestError, NotFoundError } from './errors.js';
import { ExternalRegistries } from './external-registries.js';
import { FileBackedTraceStore } from './file-trace-store.js';
import { GitServer, type Published, type PublishOptions, type ReceiveOptions } from './git-server.js';
import { artifactRoutes } from './http/artifacts.js';
import { cacheRoutes } from './http/cache.js';
import { type ApiContext, runningJobForToken } from './http/context.js';
import { gitRoutes } from './http/git.js';
import { errorHandler, sendJson } from './http/http-errors.js';
import { jobRoutes } from './http/jobs.js';
import { oidcRoutes } from './http/oidc.js';
import { runnerRoutes } from './http/runners.js';
import { traceRoutes } from './http/trace.js';
import { IdTokenIssuer } from './id-tokens.js';
import { JobEvents } from './job-events.js';
import { type JobQueue, type JobRecord, MemoryJobQueue, type SavedJobs } from './job-queue.js';
import { JsonFile } from './json-file.js';
import {
  MemoryRunnerStore,
  type Runner,
  type RunnerInfo,
  type RunnerStore,
  type SavedRunners,
} from './runner-store.js';
import { type JobSpecInput, jobSpecSchema } from './schemas.js';
import { TokenIssuer } from './tokens.js';
import { MemoryTraceStore, type TraceStore } from './trace-store.js';
import { registryImage } from './variables.js';

export interface CreateRunnerApiOptions {
  /** The mock's URL as runners and job containers reach it, e.g. `http://host.docker.internal:39741`. */
  readonly externalUrl: string | URL;
  /** Artifacts (`<dataDir>/artifacts`), git serving repositories (`<dataDir>/git`). */
  readonly dataDir: string;
  /** `CI_REGISTRY` (`host[:port]`); defaults to the external URL's host. */
  readonly registryHost?: string;
  /** `DOCKER_REGISTRY_MIRROR`; defaults to the external URL. */
  readonly registryMirror?: string;
  /** Legacy registration token for `POST /api/v4/runners`; derived from the secret when omitted. */
  readonly registrationToken?: string;
  /** HMAC secret for runner and job tokens; random per instance when omitted. */
  readonly secret?: string | Uint8Array;
  /** How long `POST /jobs/request` may wait for a job (long poll); 0 answers at once. */
  readonly longPollMs?: number;
  /** `X-GitLab-Trace-Update-Interval` in seconds (the runner's default is 3). */
  readonly traceUpdateInterval?: number;
  /** Per-upload artifact cap; 1 GiB by default (413 beyond). */
  readonly maxArtifactSize?: number;
  /** Per-job log cap. */
  readonly maxTraceSize?: number;
  readonly cache?: {
    /** Bucket name in the runner's `[runners.cache.s3] BucketName`. */
    readonly bucket?: string;
    /** The cache volume; `<dataDir>/cache` by default. */
    readonly root?: string;
    readonly maxSize?: number;
    readonly ttlMs?: number;
    readonly maxEntrySize?: number;
  };
  readonly serverVersion?: string;
  /**
   * Keep runners, jobs and logs in `<dataDir>/state` so that a restarted mock (same secret, same
   * data directory) carries on: registered runners still poll, running jobs still report, queued
   * jobs are still handed out. Artifacts and the cache are on disk either way.
   */
  readonly persistState?: boolean;
  readonly runners?: RunnerStore;
  readonly queue?: JobQueue;
  readonly traces?: TraceStore;
  readonly artifacts?: ArtifactStore;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** What `verifyJobToken` tells the registry's auth hook. */
export interface JobTokenClaims {
  readonly jobId: number;
  readonly projectPath: string;
  /** The only repository prefix the job may push to (`CI_REGISTRY_IMAGE` without the host). */
  readonly registryPath: string;
}

/**
 * The Runner API is itself a request handler: `app.use(api)` (or `app.use(api.handler)`) at `/`,
 * next to the registry's `/v2/`. It serves `/api/v4/…`, `/<project>.git/…` and `/<bucket>/…`
 * and passes every other path on.
 */
export interface RunnerApi extends RequestHandler {
  readonly handler: Router;
  readonly events: JobEvents;
  readonly registrationToken: string;
  /** Validates a job specification and queues it. Throws `BadRequestError` naming the bad field. */
  enqueue(spec: JobSpecInput): JobRecord;
  /**
   * A finished job of another pipeline with its artifacts archive (a zip, as GitLab's API hands it
   * out): what a `needs:project` job lists among its dependencies, so the runner downloads the
   * archive as it would on GitLab. `spec` names the job and the project of the jobs that need it.
   */
  importArtifacts(spec: JobSpecInput, archive: Readable): Promise<JobRecord>;
  /** Graceful (`Job-Status: canceling`, after_script runs) unless `force`. */
  cancel(jobId: number, options?: { force?: boolean }): JobRecord;
  job(jobId: number): JobRecord | undefined;
  jobs(): readonly JobRecord[];
  trace(jobId: number): Buffer;
  /** Creates a runner (as GitLab's UI does) and returns its `glrt-` token. */
  registerRunner(info?: RunnerInfo): { runner: Runner; token: string };
  /** Serves a repository (or its dirty work tree) to jobs of `projectPath`. */
  publishRepository(options: PublishOptions): Promise<Published>;
  /** Serves a commit sent as a pack (`packRepository`), for a mock that cannot read the repository. */
  receiveRepositoryPack(pack: Readable, options: ReceiveOptions): Promise<Published>;
  /** Points a (child) pipeline's refs at a commit already served. */
  pointRepositoryRefs(options: ReceiveOptions): Promise<Published>;
  /** Commits the mock already serves for a project: a pack need not carry their objects. */
  knownCommits(projectPath: string): Promise<string[]>;
  /** A job's stored artifacts (the archive and each report), and a stream of one of them. */
  artifacts(jobId: number): readonly ArtifactRecord[];
  openArtifact(record: ArtifactRecord): Readable;
  /** The job a token belongs to while that job runs; undefined for anything else. */
  verifyJobToken(token: unknown): JobTokenClaims | undefined;
  /** Credentials of external registries (`CI_REGISTRY_USER`/`_PASSWORD` of jobs that name them); memory only. */
  readonly externalRegistries: ExternalRegistries;
  readonly cache: {
    clean(): Promise<{ entries: number; bytes: number }>;
    usage(): number;
  };
}

/**
 * Builds the Runner API. Returns a handler and never listens: the caller (apps/mock, a test)
 * binds the port.
 */
export function createRunnerApi(options: CreateRunnerApiOptions): RunnerApi {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? createSilentLogger()).child({ module: 'runner-api' });
  const tokens = new TokenIssuer(options.secret);
  const events = new JobEvents();
  const serverUrl = new URL(options.externalUrl);
  if (serverUrl.protocol !== 'http:' && serverUrl.protocol !== 'https:') {
    throw new TypeError('externalUrl must be an http(s) URL');
  }
  const stateDir = options.persistState ? path.join(options.dataDir, 'state') : undefined;
  const queue =
    options.queue ??
    new MemoryJobQueue({
      clock,
      ...(stateDir ? { file: new JsonFile<SavedJobs>(path.join(stateDir, 'jobs.json')) } : {}),
    });
  const memoryTraces = new MemoryTraceStore({ maxBytes: options.maxTraceSize ?? 64 * 1024 ** 2 });
  const traces =
    options.traces ??
    (stateDir ? new FileBackedTraceStore(memoryTraces, path.join(stateDir, 'traces')) : memoryTraces);
  const cacheBucket = options.cache?.bucket ?? 'runner-cache';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(cacheBucket) || cacheBucket === 'api') {
    throw new TypeError(`invalid cache bucket name: ${cacheBucket}`);
  }
  const externalRegistries = new ExternalRegistries();
  const ctx: ApiContext = {
    runners:
      options.runners ??
      new MemoryRunnerStore({
        tokens,
        clock,
        ...(stateDir ? { file: new JsonFile<SavedRunners>(path.join(stateDir, 'runners.json')) } : {}),
      }),
    queue,
    traces,
    artifacts:
      options.artifacts ?? new FsArtifactStore({ root: path.join(options.dataDir, 'artifacts'), clock }),
    cache: new FsCacheStore({
      root: options.cache?.root ?? path.join(options.dataDir, 'cache'),
      clock,
      maxSize: options.cache?.maxSize ?? 500 * 1000 ** 2,
      ttlMs: options.cache?.ttlMs ?? 24 * 3600 * 1000,
      maxEntrySize: options.cache?.maxEntrySize ?? MAX_CACHE_ENTRY_SIZE,
    }),
    git: new GitServer({ root: path.join(options.dataDir, 'git') }),
    tokens,
    idTokens: new IdTokenIssuer(stateDir ? { keyFile: path.join(stateDir, 'oidc-signing-key.pem') } : {}),
    events,
    clock,
    logger,
    server: {
      serverUrl,
      registryHost: options.registryHost ?? serverUrl.host,
      registryMirror: options.registryMirror ?? serverUrl.toString().replace(/\/$/, ''),
      serverVersion: options.serverVersion ?? '18.4.0',
      externalRegistries,
    },
    registrationToken: options.registrationToken ?? tokens.registrationToken(),
    longPollMs: options.longPollMs ?? 0,
    traceUpdateInterval: options.traceUpdateInterval ?? 3,
    maxArtifactSize: options.maxArtifactSize ?? 1024 ** 3,
    cacheBucket,
    pendingTraceResets: new Set(),
  };

  queue.subscribe((job, previous) => {
    events.publish({
      type: 'state',
      jobId: job.id,
      state: job.state,
      previous,
      ...(job.failureReason ? { failureReason: job.failureReason } : {}),
      ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
    });
  });

  const api = Router();
  api.use(json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  api.use(runnerRoutes(ctx));
  api.use(jobRoutes(ctx));
  api.use(traceRoutes(ctx));
  api.use(artifactRoutes(ctx));
  api.use((req, res) => sendJson(res, 404, { message: `404 ${req.method} ${req.path} not found` }));

  const handler = Router();
  handler.use(oidcRoutes(ctx));
  handler.use('/api/v4', api);
  handler.use(cacheRoutes(ctx));
  handler.use(gitRoutes(ctx));
  handler.use(errorHandler(logger));

  const controls: Omit<RunnerApi, keyof RequestHandler> = {
    handler,
    events,
    registrationToken: ctx.registrationToken,
    externalRegistries,
    enqueue(input) {
      const parsed = jobSpecSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new BadRequestError(`job spec: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
      const job = queue.enqueue(parsed.data);
      logger.info('job queued', { jobId: job.id, name: job.spec.name, tags: job.spec.tags });
      return job;
    },
    async importArtifacts(input, archive) {
      const parsed = jobSpecSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new BadRequestError(`job spec: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
      const job = queue.recordFinished(parsed.data);
      await ctx.artifacts.save(
        job.id,
        { type: 'archive', format: 'zip', filename: 'artifacts.zip', expireIn: undefined },
        archive,
        { maxBytes: ctx.maxArtifactSize },
      );
      logger.info('artifacts imported', { jobId: job.id, name: job.spec.name });
      return job;
    },
    cancel(jobId, cancelOptions) {
      if (!queue.get(jobId)) throw new NotFoundError(`job ${jobId} not found`);
      return queue.cancel(jobId, cancelOptions);
    },
    job: (jobId) => queue.get(jobId),
    jobs: () => queue.list(),
    trace: (jobId) => traces.read(jobId),
    registerRunner: (info = {}) => ctx.runners.register(info),
    publishRepository: (publishOptions) => ctx.git.publish(publishOptions),
    receiveRepositoryPack: (pack, receiveOptions) => ctx.git.receivePack(pack, receiveOptions),
    knownCommits: (projectPath) => ctx.git.knownCommits(projectPath),
    pointRepositoryRefs: (pointOptions) => ctx.git.pointRefs(pointOptions),
    artifacts: (jobId) => ctx.artifacts.list(jobId),
    openArtifact: (record) => ctx.artifacts.open(record),
    verifyJobToken(token) {
      const job = runningJobForToken(ctx, token);
      if (!job) return undefined;
      const image = registryImage(ctx.server, job.spec.project.path);
      return {
        jobId: job.id,
        projectPath: job.spec.project.path,
        registryPath: image.slice(ctx.server.registryHost.length + 1),
      };
    },
    cache: {
      clean: () => ctx.cache.clean(),
      usage: () => ctx.cache.usage(),
    },
  };
  const mountable: RequestHandler = (req, res, next) => handler(req, res, next);
  return Object.assign(mountable, controls) as RunnerApi;
}
