import type { Logger } from '@glci/config';
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import { BadRequestError, RunnerApiError } from '../errors.js';

/** JSON with exactly `Content-Type: application/json` (the runner insists on the media type). */
export function sendJson(res: Response, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.status(status).setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', String(bytes.length));
  res.end(bytes);
}

export function sendError(res: Response, error: RunnerApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  sendJson(res, error.status, { message: `${error.status} ${error.message}` });
}

/** Parses with zod; any issue becomes a 400 naming the field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new BadRequestError(`${where}${issue.message}`);
}

/**
 * The last handler of the router: typed errors keep their status; body-parser failures become
 * 400/413; anything else is logged and answered 500 without details.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof RunnerApiError) {
      if (error.status >= 500) logger.warn('request refused', { path: req.path, status: error.status });
      sendError(res, error);
      return;
    }
    const status = (error as { status?: unknown; type?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      if (res.headersSent) return void res.destroy();
      sendJson(res, status, {
        message: status === 413 ? '413 Request Entity Too Large' : `${status} ${describeBodyError(error)}`,
      });
      return;
    }
    logger.error('unexpected error', { path: req.path, error: (error as Error)?.message });
    if (res.headersSent) return void res.destroy();
    sendJson(res, 500, { message: '500 Internal Server Error' });
  };
}

function describeBodyError(error: unknown): string {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.parse.failed') return 'Bad Request: the body is not valid JSON';
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return 'Bad Request: unsupported encoding';
  return 'Bad Request';
}
