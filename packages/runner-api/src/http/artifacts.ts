import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import busboy from 'busboy';
import { type Request, Router } from 'express';
import type { ArtifactRecord } from '../artifact-store.js';
import { DOTENV_MAX_BYTES, parseDotenv } from '../dotenv.js';
import { parseExpireIn } from '../duration.js';
import { BadRequestError, ForbiddenError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import { ACTIVE_STATES } from '../job-queue.js';
import { type ApiContext, header, jobForToken, jobIdParam, runningJobForToken } from './context.js';
import { sendJson } from './http-errors.js';

const FORMATS = new Set(['zip', 'gzip', 'raw', 'zipzstd', 'tarzstd']);

function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequestError(`${name} must be given once`);
  return value === '' ? undefined : value;
}

/** `POST /jobs/:id/artifacts` (streamed multipart) and `GET /jobs/:id/artifacts`. */
export function artifactRoutes(ctx: ApiContext): Router {
  const router = Router();
  const log = ctx.logger.child({ module: 'runner-api', resource: 'artifacts' });

  router.post('/jobs/:id/artifacts', async (req, res) => {
    const jobId = jobIdParam(req.params.id);
    const job = jobForToken(ctx, header(req, 'job-token'), jobId);
    if (!ACTIVE_STATES.has(job.state)) throw new ForbiddenError(`Forbidden: job ${jobId} is not running`);
    const type = queryString(req, 'artifact_type') ?? 'archive';
    if (!/^[a-z_]{1,50}$/.test(type)) throw new BadRequestError('artifact_type is invalid');
    const format = queryString(req, 'artifact_format') ?? 'zip';
    if (!FORMATS.has(format)) throw new BadRequestError('artifact_format is invalid');
    const expireInText = queryString(req, 'expire_in');
    const expireIn = expireInText === undefined ? undefined : parseExpireIn(expireInText);
    const declared = Number(header(req, 'content-length') ?? Number.NaN);
    if (declared > ctx.maxArtifactSize) {
      res.setHeader('Connection', 'close');
      throw new PayloadTooLargeError(
        `artifacts are limited to ${ctx.maxArtifactSize} bytes`,
        ctx.maxArtifactSize,
      );
    }
    if (!/^multipart\/form-data\b/i.test(header(req, 'content-type') ?? '')) {
      throw new BadRequestError('expected multipart/form-data with a "file" part');
    }
    const record = await receiveFile(ctx, req, jobId, { type, format, expireIn }).catch((error: unknown) => {
      // Stop reading an upload we refused; the connection closes after the answer.
      res.setHeader('Connection', 'close');
      throw error;
    });
    log.info('artifacts stored', { jobId, type, format, size: record.size });
    sendJson(res, 201, { message: '201 Created', size: record.size });
  });

  router.get('/jobs/:id/artifacts', (req, res) => {
    const jobId = jobIdParam(req.params.id);
    const token = header(req, 'job-token') ?? queryString(req, 'job_token') ?? queryString(req, 'token');
    const caller = runningJobForToken(ctx, token);
    // The dependency's own token (while it runs) or the token of a running job that depends on it.
    if (!caller || (caller.id !== jobId && !caller.spec.dependencies.includes(jobId))) {
      throw new ForbiddenError('Forbidden: this token may not read these artifacts');
    }
    const record = ctx.artifacts.find(jobId, 'archive');
    if (!record) throw new NotFoundError('artifacts not found');
    res.status(200);
    res.setHeader('Content-Type', record.format === 'zip' ? 'application/zip' : 'application/octet-stream');
    res.setHeader('Content-Length', String(record.size));
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${record.filename.replace(/["\\\r\n]/g, '_')}"`,
    );
    void pipeline(ctx.artifacts.open(record), res).catch(() => res.destroy());
  });

  return router;
}

/**
 * A dotenv report as the runner uploads it (`artifact_format=gzip`, or raw), parsed with GitLab's
 * rules and limits; a report GitLab would refuse is refused here too (400), so the job's upload
 * fails with the reason.
 */
async function readDotenvReport(file: string, format: string): Promise<Pick<ArtifactRecord, 'variables'>> {
  const content = await readFile(file);
  let text: Buffer;
  if (format === 'gzip') {
    try {
      // One byte over the limit is enough for parseDotenv to name the limit.
      text = gunzipSync(content, { maxOutputLength: DOTENV_MAX_BYTES + 1 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new BadRequestError(`Dotenv files cannot be larger than ${DOTENV_MAX_BYTES} bytes`);
      }
      throw new BadRequestError('the dotenv report is not valid gzip');
    }
  } else if (format === 'raw') {
    text = content;
  } else {
    throw new BadRequestError(`a dotenv report must be gzip or raw, not ${format}`);
  }
  return { variables: parseDotenv(text) };
}

function receiveFile(
  ctx: ApiContext,
  req: Request,
  jobId: number,
  meta: { type: string; format: string; expireIn: number | undefined },
): Promise<ArtifactRecord> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 20, parts: 25, fieldSize: 64 * 1024 },
      });
    } catch {
      reject(new BadRequestError('malformed multipart Content-Type'));
      return;
    }
    let saving: Promise<ArtifactRecord> | undefined;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      reject(error);
    };
    parser.on('file', (field, stream: Readable, info) => {
      if (field !== 'file' || saving) {
        stream.resume();
        return;
      }
      // Busboy destroys the part's stream on a truncated body; the save's pipeline reports it.
      stream.on('error', () => {});
      const filename = info.filename && info.filename.length <= 255 ? info.filename : 'artifacts.zip';
      saving = ctx.artifacts.save(jobId, { ...meta, filename }, stream, {
        maxBytes: ctx.maxArtifactSize,
        ...(meta.type === 'dotenv' ? { inspect: (file) => readDotenvReport(file, meta.format) } : {}),
      });
      saving.catch((error: unknown) => {
        stream.resume();
        fail(error);
      });
    });
    parser.on('error', () => fail(new BadRequestError('malformed multipart body')));
    parser.on('close', () => {
      if (failed) return;
      if (!saving) return fail(new BadRequestError('the "file" part is missing'));
      saving.then(resolve, fail);
    });
    req.on('aborted', () => fail(new BadRequestError('upload aborted')));
    req.pipe(parser);
  });
}
