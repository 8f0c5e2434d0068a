import { type Request, type Response, Router } from 'express';
import { BadRequestError, ForbiddenError, TraceMismatchError } from '../errors.js';
import { ACTIVE_STATES, FINAL_STATES, type JobRecord } from '../job-queue.js';
import { buildJobPayload } from '../payload.js';
import type { Runner } from '../runner-store.js';
import { jobRequestBodySchema, type UpdateJobBody, updateJobBodySchema } from '../schemas.js';
import { type ApiContext, header, jobForToken, jobIdParam, jobStatusHeader } from './context.js';
import { parseBody, sendJson } from './http-errors.js';

/** `POST /jobs/request` (with optional long poll) and `PUT /jobs/:id`. */
export function jobRoutes(ctx: ApiContext): Router {
  const router = Router();
  const log = ctx.logger.child({ module: 'runner-api', resource: 'jobs' });

  router.post('/jobs/request', async (req, res) => {
    const body = parseBody(jobRequestBodySchema, req.body);
    const runner = ctx.runners.verify(header(req, 'runner-token') ?? body.token, body.system_id);
    if (!runner) throw new ForbiddenError('Forbidden: invalid runner token');

    // Released when a job arrives, the hold expires, or the client goes away.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const job = await ctx.queue.claim(runner, { signal: gone.signal, waitMs: ctx.longPollMs });
    res.setHeader('X-GitLab-Last-Update', ctx.queue.lastUpdate);
    if (!job) {
      if (!gone.signal.aborted) res.status(204).end();
      return;
    }
    if (gone.signal.aborted || res.destroyed) {
      // Nobody will read it: back in the queue rather than lost.
      ctx.queue.release(job.id);
      return;
    }
    let payload: Record<string, unknown>;
    try {
      payload = await payloadFor(ctx, job, runner);
    } catch (error) {
      ctx.queue.release(job.id);
      throw error;
    }
    log.info('job picked', { jobId: job.id, runnerId: runner.id, name: job.spec.name });
    sendJson(res, 201, payload);
  });

  router.put('/jobs/:id', (req, res) => {
    const jobId = jobIdParam(req.params.id);
    const body = parseBody(updateJobBodySchema, req.body);
    const job = jobForToken(ctx, header(req, 'job-token') ?? body.token, jobId);
    if (!body.state) throw new BadRequestError('state is missing');
    if (body.state === 'pending') throw new BadRequestError('state may not go back to pending');

    if (body.state === 'canceled') {
      // Only a runner that was told to cancel reports this; treat it as the end of the job.
      const updated = ACTIVE_STATES.has(job.state) ? ctx.queue.cancel(jobId, { force: true }) : job;
      return respond(ctx, res, updated);
    }
    const previous = job.state;
    if (body.state !== 'running' && ACTIVE_STATES.has(previous)) verifyTrace(ctx, jobId, body);
    const updated = ctx.queue.update(jobId, {
      state: body.state,
      ...(body.failure_reason ? { failureReason: body.failure_reason } : {}),
      ...(body.exit_code !== undefined ? { exitCode: body.exit_code } : {}),
    });
    if (FINAL_STATES.has(updated.state) && !FINAL_STATES.has(previous)) {
      log.info('job finished', { jobId, state: updated.state, failureReason: updated.failureReason });
    }
    respond(ctx, res, updated);
  });

  return router;
}

function respond(ctx: ApiContext, res: Response, job: JobRecord): void {
  res.setHeader('Job-Status', jobStatusHeader(job));
  res.setHeader('X-GitLab-Trace-Update-Interval', String(ctx.traceUpdateInterval));
  sendJson(res, 200, { id: job.id, status: job.state });
}

/** The final update's `output` must describe exactly the stored trace, else 412 (full re-send). */
function verifyTrace(ctx: ApiContext, jobId: number, body: UpdateJobBody): void {
  const checksum = body.output?.checksum ?? body.checksum;
  const bytesize = body.output?.bytesize;
  const storedSize = ctx.traces.length(jobId);
  const storedChecksum = ctx.traces.checksum(jobId);
  const sizeDiffers = bytesize !== undefined && bytesize !== storedSize;
  if (sizeDiffers || (checksum !== undefined && checksum.toLowerCase() !== storedChecksum)) {
    // The runner answers a 412 by re-sending its whole log from offset 0.
    ctx.pendingTraceResets.add(jobId);
    throw new TraceMismatchError(
      sizeDiffers
        ? `trace size mismatch: runner has ${bytesize} bytes, server ${storedSize}`
        : 'trace checksum mismatch',
    );
  }
  ctx.pendingTraceResets.delete(jobId);
  if (checksum !== undefined || bytesize !== undefined) {
    ctx.events.publish({
      type: 'trace-verified',
      jobId,
      checksum: storedChecksum,
      bytesize: storedSize,
    });
  }
}

async function payloadFor(ctx: ApiContext, job: JobRecord, runner: Runner): Promise<Record<string, unknown>> {
  const now = ctx.clock.now();
  // `id_tokens:` are signed when the job is handed out, as GitLab does, valid for its timeout.
  const idTokens = await Promise.all(
    Object.entries(job.spec.id_tokens).map(async ([key, { aud }]) => ({
      key,
      value: await ctx.idTokens.mint({ job, runner, server: ctx.server, aud, now }),
    })),
  );
  return buildJobPayload({
    job,
    runner,
    idTokens,
    token: ctx.tokens.jobToken(job.id),
    server: ctx.server,
    now,
    dependencies: job.spec.dependencies.map((id) => ({
      job: ctx.queue.get(id)!,
      artifact: ctx.artifacts.find(id, 'archive'),
      dotenv: ctx.artifacts.find(id, 'dotenv')?.variables ?? [],
    })),
  });
}

export type { Request };
