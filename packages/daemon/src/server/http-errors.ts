import type { Logger } from '@glci/config';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from './daemon-api.js';

/** An error a route answers with its own status and code: `throw new DaemonHttpError(404, 'pipeline-not-found', …)`. */
export class DaemonHttpError extends Error {
  override name = 'DaemonHttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export function notFound(): RequestHandler {
  return (req, res) => {
    res.status(404).json(errorBody('not-found', `no route for ${req.method} ${req.path}`));
  };
}

/** The one place errors become responses: DaemonHttpError as it says, bad JSON 400, the rest 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  // Express recognises an error handler by its four parameters.
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      // A stream that already started cannot change its status; cut it so the client sees it end.
      logger.warn('request failed after its response started', { path: req.path, error: String(error) });
      res.destroy();
      return;
    }
    if (error instanceof DaemonHttpError) {
      res.status(error.status).json(errorBody(error.code, error.message));
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser's errors: malformed JSON, a body too large, …
      res.status(status).json(errorBody('bad-request', (error as Error).message));
      return;
    }
    logger.error('request failed', { method: req.method, path: req.path, error: String(error) });
    res.status(500).json(errorBody('internal', error instanceof Error ? error.message : String(error)));
  };
}
