import { timingSafeEqual } from 'node:crypto';
import { type Request, Router } from 'express';
import { BadRequestError, ForbiddenError } from '../errors.js';
import { normalizeTags } from '../runner-store.js';
import { registerRunnerBodySchema, tokenBodySchema } from '../schemas.js';
import { type ApiContext, header } from './context.js';
import { parseBody, sendJson } from './http-errors.js';

/** The runner's token: the `RUNNER-TOKEN` header, else the body's `token`. */
function runnerToken(req: Request, body: { token?: string | undefined }): string | undefined {
  return header(req, 'runner-token') ?? body.token;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `POST /runners`, `POST /runners/verify`, `DELETE /runners`, `DELETE /runners/managers`. */
export function runnerRoutes(ctx: ApiContext): Router {
  const router = Router();
  const log = ctx.logger.child({ module: 'runner-api', resource: 'runners' });

  router.post('/runners', (req, res) => {
    const body = parseBody(registerRunnerBodySchema, req.body);
    const token = runnerToken(req, body);
    if (!token || !sameSecret(token, ctx.registrationToken)) {
      throw new ForbiddenError('Forbidden: invalid registration token');
    }
    const { runner, token: authToken } = ctx.runners.register({
      description: body.description,
      tags: normalizeTags(body.tag_list ?? []),
      runUntagged: body.run_untagged,
      locked: body.locked,
      paused: body.paused,
      maximumTimeout: body.maximum_timeout,
      legacy: true,
    });
    log.info('runner registered', { runnerId: runner.id, tags: runner.tags });
    sendJson(res, 201, { id: runner.id, token: authToken, token_expires_at: null });
  });

  router.post('/runners/verify', (req, res) => {
    const body = parseBody(tokenBodySchema, req.body);
    const token = runnerToken(req, body);
    const runner = ctx.runners.verify(token, body.system_id);
    if (!runner) throw new ForbiddenError('Forbidden: invalid runner token');
    sendJson(res, 200, { id: runner.id, token, token_expires_at: null });
  });

  router.delete('/runners', (req, res) => {
    const body = parseBody(tokenBodySchema, req.body);
    if (!ctx.runners.unregister(runnerToken(req, body))) {
      throw new ForbiddenError('Forbidden: invalid runner token');
    }
    log.info('runner unregistered');
    res.status(204).end();
  });

  router.delete('/runners/managers', (req, res) => {
    const body = parseBody(tokenBodySchema, req.body);
    const token = runnerToken(req, body);
    if (!body.system_id) throw new BadRequestError('system_id is missing');
    if (!ctx.runners.verify(token)) throw new ForbiddenError('Forbidden: invalid runner token');
    ctx.runners.unregisterManager(token, body.system_id);
    res.status(204).end();
  });

  router.post('/runners/reset_authentication_token', () => {
    // token_expires_at is always null, so the runner never rotates.
    throw new ForbiddenError('Forbidden: token rotation is not supported by glci');
  });

  router.get('/runners/router/discovery', (_req, res) => {
    sendJson(res, 501, { message: '501 Not Implemented: no job router' });
  });

  return router;
}
