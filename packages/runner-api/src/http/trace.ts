import { Router, raw } from 'express';
import { BadRequestError, InvalidJobStateError } from '../errors.js';
import { ACTIVE_STATES } from '../job-queue.js';
import { type ApiContext, header, jobForToken, jobIdParam, jobStatusHeader } from './context.js';

/** The runner sends at most 1 MiB per PATCH; allow headroom, refuse anything bigger (413). */
const MAX_PATCH = 4 * 1024 * 1024;

/** `PATCH /jobs/:id/trace` with `Content-Range: start-endInclusive`. */
export function traceRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.patch('/jobs/:id/trace', raw({ type: () => true, limit: MAX_PATCH }), (req, res) => {
    const jobId = jobIdParam(req.params.id);
    const job = jobForToken(ctx, header(req, 'job-token'), jobId);
    if (!ACTIVE_STATES.has(job.state)) throw new InvalidJobStateError(jobId, job.state);
    const contentRange = header(req, 'content-range');
    if (!contentRange) throw new BadRequestError('Content-Range is missing');
    const match = /^(?:bytes )?(\d{1,15})-(\d{1,15})(?:\/(?:\d+|\*))?$/.exec(contentRange.trim());
    if (!match) throw new BadRequestError('Content-Range must be "<start>-<end>"');
    const start = Number(match[1]);
    const end = Number(match[2]);
    if (end < start) throw new BadRequestError('Content-Range end is before its start');
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.length === 0) throw new BadRequestError('the trace patch is empty');

    let reset = false;
    if (start === 0 && ctx.pendingTraceResets.delete(jobId)) {
      ctx.traces.truncate(jobId);
      reset = true;
    }
    const result = ctx.traces.append(jobId, body, { start, end });
    if (reset || result.reset) ctx.events.publish({ type: 'trace-reset', jobId });
    if (result.appended.length > 0) {
      ctx.events.publish({
        type: 'trace',
        jobId,
        offset: result.offset,
        chunk: Buffer.from(result.appended),
      });
    }
    res.setHeader('Job-Status', jobStatusHeader(job));
    res.setHeader('Range', `0-${result.length}`);
    res.setHeader('X-GitLab-Trace-Update-Interval', String(ctx.traceUpdateInterval));
    res.status(202).end();
  });

  return router;
}
