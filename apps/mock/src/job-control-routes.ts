import { pipeline } from 'node:stream/promises';
import type { Logger } from '@glci/config';
import {
  BadRequestError,
  type JobEvent,
  type JobRecord,
  NotFoundError,
  REGISTRY_HOST_PATTERN,
  type RunnerApi,
} from '@glci/runner-api';
import { json, type Request, type Response } from 'express';
import { z } from 'zod';
import { sendJson } from './internal-routes.js';

/**
 * The daemon's control of the mock, under `/internal` (behind the internal secret): register
 * runners, send the repository, queue and cancel jobs, follow their events and fetch their logs and
 * artifacts. The daemon reaches it over the published port, or through `glci-mock tunnel` in the
 * container when the Docker host is remote, so everything is plain HTTP with JSON or bytes.
 *
 * ```
 * POST /runners                        {tags, runUntagged, description} → 201 {id, token}
 * GET  /git/commits?project=P          → {commits}: what a pack may leave out
 * POST /git/pack?project=&sha=&ref=&ref_type=&pipeline=   body: a git pack → 201 {sha, ref}
 * POST /git/ref?project=&sha=&ref=&ref_type=&pipeline=    a served commit under a new pipeline ref
 * POST /jobs                           a job spec (@glci/runner-api) → 201 job
 * POST /jobs/import?spec=JSON          body: an artifacts zip → 201 job: a finished job of another
 *                                      pipeline (needs:project), a dependency later jobs may list
 * GET  /jobs?ids=1,2                   → {jobs}
 * GET  /jobs/:id                       → job
 * POST /jobs/:id/cancel                {force} → job
 * GET  /jobs/:id/trace?offset=N        → the log's bytes from N
 * GET  /jobs/:id/artifacts             → {artifacts: [{type, format, filename, size}]}
 * GET  /jobs/:id/artifacts/:type       → the file
 * GET  /events?jobs=1,2                NDJSON: one `snapshot` per listed job, then every event
 * POST /cache/clean                    → {entries, bytes}
 * PUT  /external-registry              {host, username?, password?} → 204: the login jobs get for a
 *                                      registry used instead of the embedded one (kept in memory only)
 * ```
 */
export type ControlHandler = (req: Request, res: Response) => void | Promise<void>;

const registerSchema = z.strictObject({
  tags: z.array(z.string().min(1).max(255)).max(50).default([]),
  runUntagged: z.boolean().optional(),
  description: z.string().max(1024).optional(),
});
const externalRegistrySchema = z
  .strictObject({
    host: z
      .string()
      .regex(REGISTRY_HOST_PATTERN, { message: 'expected a registry host such as "registry.corp:5000"' }),
    username: z.string().max(1024).optional(),
    password: z
      .string()
      .max(64 * 1024)
      .optional(),
  })
  .refine((value) => (value.username === undefined) === (value.password === undefined), {
    message: 'username and password go together',
  });
const cancelSchema = z.strictObject({ force: z.boolean().default(false) });
const PING_MS = 15_000;

export function jobControlRoutes(options: {
  readonly runnerApi: () => RunnerApi;
  readonly logger: Logger;
}): Record<string, ControlHandler> {
  const api = options.runnerApi;
  const log = options.logger.child({ module: 'job-control' });
  const body = json({ limit: '4mb' });
  const parsedBody = (req: Request, res: Response) =>
    new Promise<unknown>((resolve, reject) =>
      body(req, res, (error?: unknown) => (error ? reject(error) : resolve(req.body))),
    );

  return {
    'POST /runners': async (req, res) => {
      const info = parse(registerSchema, await parsedBody(req, res));
      const { runner, token } = api().registerRunner({
        tags: info.tags,
        ...(info.runUntagged !== undefined ? { runUntagged: info.runUntagged } : {}),
        ...(info.description ? { description: info.description } : {}),
      });
      log.info('runner registered for the daemon', { runnerId: runner.id, tags: runner.tags });
      sendJson(res, 201, { id: runner.id, token });
    },

    'PUT /external-registry': async (req, res) => {
      const { host, username, password } = parse(externalRegistrySchema, await parsedBody(req, res));
      api().externalRegistries.set(
        host,
        username !== undefined && password !== undefined ? { username, password } : undefined,
      );
      // The host and whether there is a login; never the credentials.
      log.info('external registry set', { host, authenticated: username !== undefined });
      res.status(204).end();
    },

    'GET /git/commits': async (req, res) => {
      sendJson(res, 200, { commits: await api().knownCommits(queryText(req, 'project')) });
    },

    'POST /git/pack': async (req, res) => {
      const refType = req.query.ref_type === 'tag' ? 'tag' : 'branch';
      const published = await api().receiveRepositoryPack(req, {
        projectPath: queryText(req, 'project'),
        sha: queryText(req, 'sha'),
        ref: queryText(req, 'ref'),
        refType,
        pipelineId: Number(queryText(req, 'pipeline')),
      });
      log.info('repository received', { project: req.query.project, sha: published.sha });
      sendJson(res, 201, { sha: published.sha, ref: published.ref });
    },

    'POST /git/ref': async (req, res) => {
      const published = await api().pointRepositoryRefs({
        projectPath: queryText(req, 'project'),
        sha: queryText(req, 'sha'),
        ref: queryText(req, 'ref'),
        refType: req.query.ref_type === 'tag' ? 'tag' : 'branch',
        pipelineId: Number(queryText(req, 'pipeline')),
      });
      sendJson(res, 201, { sha: published.sha, ref: published.ref });
    },

    'POST /jobs': async (req, res) => {
      const job = api().enqueue((await parsedBody(req, res)) as never);
      sendJson(res, 201, summary(job));
    },

    'POST /jobs/import': async (req, res) => {
      let spec: unknown;
      try {
        spec = JSON.parse(queryText(req, 'spec'));
      } catch {
        throw new BadRequestError('spec must be a job spec as JSON');
      }
      const job = await api().importArtifacts(spec as never, req);
      log.info('artifacts of another pipeline imported', { jobId: job.id, name: job.spec.name });
      sendJson(res, 201, summary(job));
    },

    'GET /jobs': (req, res) => {
      const ids = idList(req.query.ids);
      const jobs = ids ? ids.map((id) => api().job(id)).filter((job) => job !== undefined) : api().jobs();
      sendJson(res, 200, { jobs: jobs.map(summary) });
    },

    'GET /jobs/:id': (req, res) => {
      sendJson(res, 200, summary(mustJob(api(), req)));
    },

    'POST /jobs/:id/cancel': async (req, res) => {
      const job = mustJob(api(), req);
      const { force } = parse(cancelSchema, (await parsedBody(req, res)) ?? {});
      sendJson(res, 200, summary(api().cancel(job.id, { force })));
    },

    'GET /jobs/:id/trace': (req, res) => {
      const job = mustJob(api(), req);
      const offset = Number(req.query.offset ?? 0);
      if (!Number.isSafeInteger(offset) || offset < 0)
        throw new BadRequestError('offset must be a byte offset');
      const bytes = api().trace(job.id).subarray(offset);
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': bytes.length,
        'X-Trace-Length': offset + bytes.length,
      });
      res.end(bytes);
    },

    'GET /jobs/:id/artifacts': (req, res) => {
      const job = mustJob(api(), req);
      const artifacts = api()
        .artifacts(job.id)
        .map(({ type, format, filename, size }) => ({ type, format, filename, size }));
      sendJson(res, 200, { artifacts });
    },

    'GET /jobs/:id/artifacts/:type': async (req, res) => {
      const job = mustJob(api(), req);
      const record = api()
        .artifacts(job.id)
        .find((artifact) => artifact.type === req.params.type);
      if (!record) throw new NotFoundError(`job ${job.id} has no ${String(req.params.type)} artifact`);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': record.size });
      await pipeline(api().openArtifact(record), res);
    },

    'GET /events': (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
      const write = (event: unknown) => res.write(`${JSON.stringify(event)}\n`);
      const events = api().events;
      const onEvent = (event: JobEvent) => write(wireEvent(event));
      events.on('event', onEvent);
      // After subscribing, so nothing falls between the snapshot and the stream.
      for (const id of idList(req.query.jobs) ?? []) {
        const job = api().job(id);
        if (job) write({ type: 'snapshot', job: summary(job), traceLength: api().trace(id).length });
      }
      const ping = setInterval(() => write({ type: 'ping' }), PING_MS);
      res.on('close', () => {
        clearInterval(ping);
        events.off('event', onEvent);
      });
    },

    'POST /cache/clean': async (_req, res) => {
      sendJson(res, 200, await api().cache.clean());
    },
  };
}

/** What the daemon needs of a job: no spec (it has it), no token (never leaves the mock). */
export function summary(job: JobRecord) {
  return {
    id: job.id,
    name: job.spec.name,
    pipelineId: job.spec.pipeline.id,
    state: job.state,
    runnerId: job.runnerId ?? null,
    createdAt: job.createdAt,
    startedAt: job.startedAt ?? null,
    finishedAt: job.finishedAt ?? null,
    failureReason: job.failureReason ?? null,
    exitCode: job.exitCode ?? null,
  };
}
export type JobSummary = ReturnType<typeof summary>;

/** Trace chunks travel as base64: a log is bytes, not necessarily UTF-8 at chunk boundaries. */
function wireEvent(event: JobEvent) {
  return event.type === 'trace'
    ? { type: 'trace', jobId: event.jobId, offset: event.offset, data: event.chunk.toString('base64') }
    : event;
}

function mustJob(api: RunnerApi, req: Request): JobRecord {
  const id = Number(req.params.id);
  const job = Number.isSafeInteger(id) ? api.job(id) : undefined;
  if (!job) throw new NotFoundError(`job ${String(req.params.id)} not found`);
  return job;
}

function queryText(req: Request, name: string): string {
  const value = req.query[name];
  if (typeof value !== 'string' || value === '') throw new BadRequestError(`${name} is missing`);
  return value;
}

function idList(value: unknown): number[] | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ids = value.split(',').map(Number);
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0))
    throw new BadRequestError('ids must be job ids');
  return ids;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new BadRequestError(`${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  return result.data;
}
