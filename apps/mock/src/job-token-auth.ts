import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ALLOW,
  type AuthDecision,
  type AuthRequest,
  type ConnectionInfo,
  type Credentials,
  parseCredentials,
  type RegistryAuth,
} from '@glci/registry';

/** What the hook needs from the Runner API: `RunnerApi.verifyJobToken`. */
export type JobTokenVerifier = (
  token: unknown,
) => { readonly jobId: number; readonly registryPath: string } | undefined;

export interface JobTokenAuthOptions {
  readonly verifyJobToken: JobTokenVerifier;
  /** User names accepted with a job token as password; default `['gitlab-ci-token']` (`CI_REGISTRY_USER`). */
  readonly users?: readonly string[];
  /** Path of the token endpoint; default `/jwt/auth`, as on GitLab. */
  readonly tokenPath?: string;
  /** The `service` of the challenge; default `container_registry`, as on GitLab. */
  readonly service?: string;
  /**
   * Whether a connection may read without a job token (default: every one). The mock's container
   * passes `anonymousReadsFromHostAndGlciNetworks` (connection-trust.ts): the host and glci's own
   * networks read anonymously, any other container needs a job token.
   */
  readonly anonymousReads?: (connection: ConnectionInfo | undefined) => boolean;
}

/** The token handed to clients without credentials: it can read, which everyone can anyway. */
export const ANONYMOUS_TOKEN = 'anonymous';

/**
 * The embedded registry's authorization, as GitLab's container registry treats `CI_JOB_TOKEN`,
 * over the Docker token flow (the only scheme with which dockerd both pulls anonymously and sends
 * credentials for pushes; with a Basic challenge it refuses to pull without credentials):
 *
 * - `401 WWW-Authenticate: Bearer realm="<origin>/jwt/auth",service=…,scope=…` for requests that
 *   need credentials; the realm gives `gitlab-ci-token:<job token>` (HTTP Basic) a bearer token
 *   and anonymous clients a read-only one; wrong credentials get 401 there, so `docker login`
 *   really checks the token;
 * - reads (pull, catalog) are anonymous where `anonymousReads` allows it (everywhere by default;
 *   in the mock's container only from the host and glci's own networks), and need the token of a
 *   running job elsewhere;
 * - writes (push, delete) need the token of a job that is running *at the time of the request*,
 *   and only on its own `CI_REGISTRY_IMAGE` path (`<project path>` or below it): elsewhere
 *   403 DENIED. The bearer token is the job token itself, checked again on every request, so it
 *   stops working the moment its job ends (a JWT would outlive the job). Plain HTTP Basic with
 *   the job token is accepted too (curl, scripts).
 */
export function jobTokenAuth(options: JobTokenAuthOptions): RegistryAuth {
  const users = new Set(options.users ?? ['gitlab-ci-token']);
  const tokenPath = options.tokenPath ?? '/jwt/auth';
  const service = options.service ?? 'container_registry';

  const challenge = (request: AuthRequest, message?: string): AuthDecision => {
    let text = `Bearer realm="${request.origin}${tokenPath}",service="${service}"`;
    if (request.repository) text += `,scope="repository:${request.repository}:${request.actions.join(',')}"`;
    return { kind: 'challenge', challenge: text, ...(message ? { message } : {}) };
  };

  /** The job a request's credentials belong to, `'anonymous'`, or undefined (none or invalid). */
  const identify = (credentials: Credentials) => {
    if (credentials.kind === 'bearer') {
      if (credentials.token === ANONYMOUS_TOKEN) return 'anonymous' as const;
      return options.verifyJobToken(credentials.token);
    }
    if (credentials.kind === 'basic' && users.has(credentials.username)) {
      return options.verifyJobToken(credentials.password);
    }
    return undefined;
  };

  const anonymousReads = options.anonymousReads ?? (() => true);

  const authorize = (request: AuthRequest): AuthDecision => {
    const claims = identify(request.credentials);
    if (request.actions.length > 0 && request.actions.every((action) => action === 'pull')) {
      if (anonymousReads(request.connection) || (claims && claims !== 'anonymous')) return ALLOW;
      return challenge(request, claims ? 'reading from here needs a job token' : undefined);
    }
    if (request.actions.length === 0) {
      // `/v2/`: any valid identity, the anonymous one included (a client that fetched a token).
      return claims
        ? ALLOW
        : challenge(
            request,
            request.credentials.kind === 'none' ? undefined : 'invalid or expired job token',
          );
    }
    if (!claims || claims === 'anonymous') {
      return challenge(request, claims ? 'pushing needs a job token' : 'invalid or expired job token');
    }
    const repository = request.repository;
    if (repository === undefined || !withinPath(repository, claims.registryPath)) {
      return {
        kind: 'deny',
        message: `job ${claims.jobId} may push only to ${claims.registryPath} and below it`,
      };
    }
    return { kind: 'allow', subject: `job ${claims.jobId}` };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'GET only' }] });
    }
    const credentials = parseCredentials(req.headers.authorization);
    let token = ANONYMOUS_TOKEN;
    if (credentials.kind !== 'none') {
      const claims = credentials.kind === 'basic' ? identify(credentials) : undefined;
      if (!claims || claims === 'anonymous') {
        res.setHeader('WWW-Authenticate', `Basic realm="${service}"`);
        return json(res, 401, {
          errors: [{ code: 'UNAUTHORIZED', message: 'invalid or expired job token' }],
        });
      }
      token = (credentials as { password: string }).password;
    }
    json(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  };

  return { authorize, endpoints: [{ path: tokenPath, handle }] };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** `group/app` is within `group/app` and `group/app/x`, never `group/application`. */
export function withinPath(repository: string, prefix: string): boolean {
  return repository === prefix || repository.startsWith(`${prefix}/`);
}
