import { Router } from 'express';
import type { ApiContext } from './context.js';
import { sendJson } from './http-errors.js';

/**
 * The issuer's OpenID Connect discovery document and key set, at GitLab's paths, so that a service
 * a job logs in to (Vault, a cloud's workload identity, a test's own verifier) can check the job's
 * `id_tokens` against the mock. Public, as on GitLab.
 */
export function oidcRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/.well-known/openid-configuration', (_req, res) => {
    sendJson(res, 200, ctx.idTokens.discovery(ctx.server));
  });
  const keys = async (_req: unknown, res: Parameters<typeof sendJson>[0]) => {
    sendJson(res, 200, await ctx.idTokens.jwks());
  };
  router.get('/oauth/discovery/keys', keys);
  router.get('/-/jwks', keys);
  return router;
}
