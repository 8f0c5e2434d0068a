import { pipeline } from 'node:stream/promises';
import type { NextFunction, Request, Response } from 'express';
import type { CacheEntry } from '../cache-store.js';
import { BadRequestError, RunnerApiError } from '../errors.js';
import type { ApiContext } from './context.js';

const S3_CODES: Record<number, string> = {
  400: 'InvalidArgument',
  404: 'NoSuchKey',
  405: 'MethodNotAllowed',
  413: 'EntityTooLarge',
  507: 'InsufficientStorage',
};

function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** S3 answers errors as XML `<Error>`; the runner's helper reads `Code`/`Message` from it. */
function sendS3Error(req: Request, res: Response, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.status(status).setHeader('Content-Type', 'application/xml');
  if (req.method === 'HEAD') return void res.end();
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${S3_CODES[status] ?? 'InvalidRequest'}</Code>` +
      `<Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(req.path)}</Resource></Error>`,
  );
}

function entryHeaders(res: Response, entry: CacheEntry): void {
  res.setHeader('Content-Length', String(entry.size));
  res.setHeader('Content-Type', entry.contentType);
  res.setHeader('ETag', entry.etag);
  res.setHeader('Last-Modified', new Date(entry.lastModified).toUTCString());
  res.setHeader('Accept-Ranges', 'none');
  for (const [name, value] of Object.entries(entry.metadata)) res.setHeader(`x-amz-meta-${name}`, value);
}

/**
 * The S3 surface the runner's s3v2 cache adapter uses with presigned URLs: `PUT`, `GET`, `HEAD`
 * on `/<bucket>/<key>`, and `GET /<bucket>?location`. Signatures are not checked (the URLs are
 * presigned by the runner with whatever keys its config holds); keys are validated.
 * Only paths under the configured bucket are handled; everything else falls through.
 */
export function cacheRoutes(ctx: ApiContext) {
  const prefix = `/${ctx.cacheBucket}`;
  const log = ctx.logger.child({ module: 'runner-api', resource: 'cache' });

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const rawPath = req.path;
    if (rawPath !== prefix && rawPath !== `${prefix}/` && !rawPath.startsWith(`${prefix}/`)) return next();
    try {
      if (rawPath === prefix || rawPath === `${prefix}/`) {
        if (req.method === 'GET' && 'location' in req.query) {
          res.status(200).setHeader('Content-Type', 'application/xml');
          res.end(
            '<?xml version="1.0" encoding="UTF-8"?>\n' +
              '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-east-1</LocationConstraint>',
          );
          return;
        }
        if (req.method === 'HEAD') return void res.status(200).end();
        return sendS3Error(req, res, 405, 'only object requests and ?location are supported');
      }
      let key: string;
      try {
        key = decodeURIComponent(rawPath.slice(prefix.length + 1));
      } catch {
        throw new BadRequestError('invalid percent-encoding in key');
      }
      if (req.method === 'PUT') {
        const length = req.headers['content-length'];
        if (length !== undefined && !/^\d{1,15}$/.test(length))
          throw new BadRequestError('invalid Content-Length');
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice(11)] = value;
        }
        const entry = await ctx.cache.put(key, req, {
          ...(length !== undefined ? { contentLength: Number(length) } : {}),
          ...(typeof req.headers['content-type'] === 'string'
            ? { contentType: req.headers['content-type'] }
            : {}),
          metadata,
        });
        log.debug('cache stored', { key, size: entry.size });
        res.status(200).setHeader('ETag', entry.etag);
        return void res.end();
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const found = req.method === 'GET' ? await ctx.cache.open(key) : await ctx.cache.head(key);
        if (!found) return sendS3Error(req, res, 404, 'The specified key does not exist.');
        const entry = 'entry' in found ? found.entry : found;
        res.status(200);
        entryHeaders(res, entry);
        if ('stream' in found) return void (await pipeline(found.stream, res).catch(() => res.destroy()));
        return void res.end();
      }
      return sendS3Error(req, res, 405, `${req.method} is not supported`);
    } catch (error) {
      if (error instanceof RunnerApiError) {
        if (req.readable) {
          res.setHeader('Connection', 'close');
          req.resume();
        }
        return sendS3Error(req, res, error.status, error.message);
      }
      log.error('cache request failed', { key: rawPath, error: (error as Error).message });
      return sendS3Error(req, res, 500, 'internal error');
    }
  };
}
