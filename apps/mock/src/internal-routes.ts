import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '@glci/config';
import { errorHandler } from '@glci/runner-api';
import { type Request, type RequestHandler, type Response, Router } from 'express';

/** One internal endpoint, reached only with the internal secret; paths may have `:params`. */
export type InternalHandler = (req: Request, res: Response) => void | Promise<void>;

export interface InternalRoutesOptions {
  /** The internal secret; requests must send `Authorization: Bearer <secret>`. */
  readonly secret: string;
  readonly logger: Logger;
  /** `METHOD /path` (path below `/internal`) → handler. */
  readonly routes: Readonly<Record<string, InternalHandler>>;
}

/**
 * Guards a request with the internal secret: `Authorization: Bearer <secret>`, compared in
 * constant time (both sides are hashed first, so neither the content nor the length leaks).
 * Anything else is answered 401 and goes no further.
 */
export function internalSecretGuard(secret: string, logger: Logger): RequestHandler {
  const expected = createHash('sha256').update(`Bearer ${secret}`).digest();
  return (req, res, next) => {
    const given = createHash('sha256')
      .update(req.headers.authorization ?? '')
      .digest();
    if (timingSafeEqual(given, expected)) return next();
    logger.warn('internal endpoint refused: missing or wrong secret', { method: req.method, path: req.path });
    req.resume();
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="glci-mock internal"')
      .json({ message: '401 Unauthorized: missing or wrong internal secret' });
  };
}

/**
 * `/internal/*`: the guard, then the route table; unknown paths under the guard are 404, and a
 * handler's typed error (`BadRequestError`, `NotFoundError`, …) becomes its status with a JSON
 * `{message}`.
 */
export function internalRoutes(options: InternalRoutesOptions): Router {
  const router = Router();
  router.use(internalSecretGuard(options.secret, options.logger));
  for (const [key, handler] of Object.entries(options.routes)) {
    const [method, path] = key.split(' ') as [string, string];
    router[method.toLowerCase() as 'get' | 'post'](path, async (req, res, next) => {
      try {
        await handler(req, res);
      } catch (error) {
        next(error);
      }
    });
  }
  router.use((req, res) => {
    res.status(404).json({ message: `404 ${req.method} /internal${req.path} not found` });
  });
  router.use(errorHandler(options.logger));
  return router;
}

/** Answers JSON with a content length (the internal endpoints are small). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
