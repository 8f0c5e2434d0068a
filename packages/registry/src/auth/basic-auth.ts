import { type Action, ALLOW, type AuthDecision, type AuthorizeHook } from './authorizer.js';
import type { UserVerifier } from './htpasswd.js';

export interface BasicAuthOptions {
  readonly users: UserVerifier;
  /** The `realm` of the challenge. */
  readonly realm?: string;
  /** Which actions a user may take on a repository; default: every authenticated user, everything. */
  readonly permits?: (
    username: string,
    repository: string | undefined,
    actions: readonly Action[],
  ) => boolean;
}

/**
 * HTTP Basic against a users file. No or wrong credentials → 401 with `WWW-Authenticate: Basic`;
 * a known user without permission → 403.
 */
export function basicAuth(options: BasicAuthOptions): AuthorizeHook {
  const challenge: AuthDecision = {
    kind: 'challenge',
    challenge: `Basic realm="${(options.realm ?? 'glci registry').replace(/"/g, '')}"`,
  };
  return async (request) => {
    const credentials = request.credentials;
    if (credentials.kind !== 'basic') return challenge;
    if (!(await options.users.verify(credentials.username, credentials.password))) {
      return { ...challenge, message: 'invalid username or password' };
    }
    if (options.permits && !options.permits(credentials.username, request.repository, request.actions)) {
      return { kind: 'deny', message: `${credentials.username} may not ${request.actions.join(', ')}` };
    }
    return credentials.username ? { kind: 'allow', subject: credentials.username } : ALLOW;
  };
}
