import type { Request, Response } from 'express';
import type { Identity } from './model.js';

/** GitLab's error bodies, with the texts GitLab's API gives (lib/api/helpers.rb `not_found!` and friends). */
export const fail = {
  notFound(res: Response, what?: string) {
    res.status(404).json({ message: what ? `404 ${what} Not Found` : '404 Not Found' });
  },
  unauthorized(res: Response) {
    res.status(401).json({ message: '401 Unauthorized' });
  },
  forbidden(res: Response) {
    res.status(403).json({ message: '403 Forbidden' });
  },
  /** A token without the scope the endpoint needs (lib/gitlab/auth/auth_finders.rb). */
  insufficientScope(res: Response, scopes: readonly string[]) {
    res.status(403).json({
      error: 'insufficient_scope',
      error_description: 'The request requires higher privileges than provided by the access token.',
      scope: scopes.join(' '),
    });
  },
  badRequest(res: Response, message: string) {
    res.status(400).json({ error: message });
  },
};

/** API reads need `api` or `read_api`; the repository files endpoints also take `read_repository`. */
export const READ_API = ['api', 'read_api'] as const;
export const READ_REPOSITORY = ['api', 'read_api', 'read_repository'] as const;

/**
 * GitLab's first checks on every API request: an unknown token is 401 whatever the resource; a
 * known token without one of `scopes` is 403 insufficient_scope. Returns false when it answered.
 */
export function admit(identity: Identity, res: Response, scopes: readonly string[]): boolean {
  if (identity.kind === 'invalid') {
    fail.unauthorized(res);
    return false;
  }
  if (identity.kind === 'user' && !identity.token.scopes.some((scope) => scopes.includes(scope))) {
    fail.insufficientScope(res, scopes);
    return false;
  }
  return true;
}

/** The request's own origin, for absolute URLs in `Link` headers. */
export function originOf(req: Request): string {
  return `${req.protocol}://${req.get('host')}`;
}
