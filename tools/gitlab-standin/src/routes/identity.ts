import { Router } from 'express';
import type { StandinModel } from '../model.js';
import { admit, fail, READ_API } from '../respond.js';
import { identityOf } from './context.js';

/** Who the token is: users.md (`GET /user`), personal_access_tokens.md (`/self`), version.md. */
export function identityRoutes(model: StandinModel): Router {
  const router = Router();

  router.get('/user', (_req, res) => {
    const identity = identityOf(res);
    if (!admit(identity, res, READ_API)) return;
    if (identity.kind !== 'user') return fail.unauthorized(res);
    res.json({
      id: 1 + model.fixture.users.indexOf(identity.user),
      username: identity.user.username,
      name: identity.user.username,
      state: 'active',
      bot: identity.user.bot ?? false,
      ...(identity.user.admin ? { is_admin: true } : {}),
    });
  });

  router.get('/personal_access_tokens/self', (_req, res) => {
    const identity = identityOf(res);
    // Any valid access token may look at itself, whatever its scopes.
    if (identity.kind === 'invalid' || identity.kind === 'anonymous') return fail.unauthorized(res);
    if (identity.token.kind === 'oauth') return fail.notFound(res);
    res.json({
      id: 1 + model.fixture.tokens.indexOf(identity.token),
      name: identity.token.name,
      revoked: false,
      created_at: '2026-01-01T00:00:00.000Z',
      scopes: identity.token.scopes,
      user_id: 1 + model.fixture.users.indexOf(identity.user),
      last_used_at: null,
      active: true,
      expires_at: identity.token.expiresAt?.slice(0, 10) ?? null,
    });
  });

  router.get('/version', (_req, res) => {
    const identity = identityOf(res);
    if (!admit(identity, res, READ_API)) return;
    if (identity.kind !== 'user') return fail.unauthorized(res);
    res.json({ version: model.fixture.version, revision: 'standin' });
  });

  return router;
}

/** `GET /oauth/token/info` (oauth2.md), outside `/api/v4`: an OAuth token's scopes, 401 for anything else. */
export function oauthRoutes(): Router {
  const router = Router();
  router.get('/oauth/token/info', (_req, res) => {
    const identity = identityOf(res);
    if (identity.kind !== 'user' || identity.token.kind !== 'oauth') {
      res.status(401).json({ error: 'invalid_token', error_description: 'The access token is invalid' });
      return;
    }
    res.json({
      resource_owner_id: 1,
      scope: identity.token.scopes,
      scopes: identity.token.scopes,
      expires_in: 7200,
      application: { uid: null },
      created_at: 1767225600,
    });
  });
  return router;
}
