import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError, UnsupportedError } from '../errors.js';
import {
  type Action,
  type AuthDecision,
  type AuthEndpoint,
  type AuthRequest,
  parseCredentials,
  type RegistryAuth,
} from './authorizer.js';
import type { UserVerifier } from './htpasswd.js';

/**
 * The Docker token flow (distribution's docs/spec/auth/token.md). Requests without a valid bearer
 * token get `401` with `WWW-Authenticate: Bearer realm="<realm>",service="...",
 * scope="repository:<name>:pull,push"`; the client fetches `<realm>?service=&scope=` (with Basic
 * credentials if it has them) and retries with `Authorization: Bearer <jwt>`. Tokens are HS256
 * JWTs signed with a shared secret (so every node with the secret accepts them), short-lived, and
 * carry distribution's `access` claim: `[{type:"repository", name, actions}]`.
 */
export interface TokenAuthOptions {
  /** HMAC key for the JWTs (≥ 32 bytes); random per instance when absent. */
  readonly secret?: string | Uint8Array;
  /** Users that may authenticate at the token endpoint with Basic credentials. */
  readonly users?: UserVerifier;
  /** Anonymous clients get pull tokens (reads anonymous, writes need credentials). */
  readonly anonymousPull?: boolean;
  readonly service?: string;
  readonly issuer?: string;
  /**
   * Absolute URL of the token endpoint, sent as the challenge's realm (clients send their password
   * there): from configuration, or a function reading it (a server that learns its port when it
   * binds). Default: the address the connection arrived at plus `path`, never the client's `Host`
   * header, which any client can set.
   */
  readonly realm?: string | (() => string);
  /** Path of the token endpoint on this server; default `/auth/token`. */
  readonly path?: string;
  /** Token lifetime; default 300 s (the spec's minimum is 60 s). */
  readonly expiresInSeconds?: number;
  /**
   * Which of the requested actions `subject` (undefined = anonymous) gets on `repository`. Default:
   * authenticated users get everything they ask for; anonymous users get pull when `anonymousPull`.
   */
  readonly grant?: (
    subject: string | undefined,
    repository: string,
    requested: readonly Action[],
  ) => Action[];
  readonly now?: () => number;
}

interface AccessEntry {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

interface VerifiedToken {
  readonly access: readonly AccessEntry[];
  readonly expiresAt: number;
}

const ALL_ACTIONS: readonly Action[] = ['pull', 'push', 'delete'];

export function tokenAuth(options: TokenAuthOptions = {}): RegistryAuth {
  const key =
    options.secret === undefined
      ? new Uint8Array(randomBytes(32))
      : typeof options.secret === 'string'
        ? new TextEncoder().encode(options.secret)
        : options.secret;
  if (key.length < 32) throw new Error('the token secret must be at least 32 bytes');
  const service = options.service ?? 'glci-registry';
  const issuer = options.issuer ?? 'glci';
  const path = options.path ?? '/auth/token';
  const lifetime = Math.max(60, options.expiresInSeconds ?? 300);
  const now = options.now ?? Date.now;
  const grant =
    options.grant ??
    ((subject, _repository, requested) =>
      subject !== undefined
        ? requested.filter((a) => ALL_ACTIONS.includes(a))
        : options.anonymousPull
          ? requested.filter((a) => a === 'pull')
          : []);
  const verified = new Map<string, VerifiedToken>();

  const challengeFor = (request: AuthRequest, error?: string): AuthDecision => {
    const realm =
      typeof options.realm === 'function'
        ? options.realm()
        : (options.realm ?? `${request.connection?.local ?? 'http://127.0.0.1'}${path}`);
    let challenge = `Bearer realm="${realm}",service="${service}"`;
    if (request.catalog) challenge += ',scope="registry:catalog:*"';
    else if (request.repository && request.actions.length > 0) {
      challenge += `,scope="repository:${request.repository}:${request.actions.join(',')}"`;
    }
    if (error) challenge += `,error="${error}"`;
    return { kind: 'challenge', challenge };
  };

  async function verify(token: string): Promise<VerifiedToken | undefined> {
    const cached = verified.get(token);
    if (cached) {
      if (cached.expiresAt > now()) return cached;
      verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer,
        audience: service,
        algorithms: ['HS256'],
        currentDate: new Date(now()),
      });
      const access = Array.isArray(payload.access) ? (payload.access as AccessEntry[]) : [];
      const entry = { access, expiresAt: (payload.exp ?? 0) * 1000 };
      if (verified.size >= 10_000) verified.clear();
      verified.set(token, entry);
      return entry;
    } catch {
      return undefined;
    }
  }

  const authorize = async (request: AuthRequest): Promise<AuthDecision> => {
    const credentials = request.credentials;
    if (credentials.kind !== 'bearer') return challengeFor(request);
    const token = await verify(credentials.token);
    if (!token) return challengeFor(request, 'invalid_token');
    if (request.actions.length === 0) return { kind: 'allow' };
    const covered = request.catalog
      ? token.access.some((e) => e.type === 'registry' && e.name === 'catalog' && e.actions.includes('*'))
      : request.actions.every((action) =>
          token.access.some(
            (e) =>
              e.type === 'repository' &&
              e.name === request.repository &&
              (e.actions.includes(action) || e.actions.includes('*')),
          ),
        );
    return covered ? { kind: 'allow' } : challengeFor(request, 'insufficient_scope');
  };

  const endpoint: AuthEndpoint = {
    path,
    async handle(req: IncomingMessage, res: ServerResponse) {
      if (req.method !== 'GET') {
        throw new UnsupportedError('the token endpoint answers GET');
      }
      const url = new URL(req.url ?? '/', 'http://token.invalid');
      const credentials = parseCredentials(req.headers.authorization);
      let subject: string | undefined;
      if (credentials.kind === 'basic') {
        if (!options.users || !(await options.users.verify(credentials.username, credentials.password))) {
          throw new UnauthorizedError('invalid username or password', `Basic realm="${service}"`);
        }
        subject = credentials.username;
      }
      // Anonymous clients always get a token, holding only what the policy grants them (possibly
      // nothing): the registry then answers 401 for what it does not cover, which clients report
      // at once, where a refused token request makes the Docker daemon retry for a minute.
      const access: AccessEntry[] = [];
      for (const scope of url.searchParams.getAll('scope').flatMap((s) => s.split(' '))) {
        const parsed = parseScope(scope);
        if (!parsed) continue;
        if (parsed.type === 'registry') {
          if (parsed.name === 'catalog' && subject !== undefined) {
            access.push({ type: 'registry', name: 'catalog', actions: ['*'] });
          }
          continue;
        }
        const requested = parsed.actions.flatMap((a): readonly string[] =>
          a === '*' ? ALL_ACTIONS : [a],
        ) as Action[];
        const actions = grant(subject, parsed.name, requested);
        if (actions.length > 0) access.push({ type: 'repository', name: parsed.name, actions });
      }
      const issuedAt = Math.floor(now() / 1000);
      const token = await new SignJWT({ access })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(service)
        .setSubject(subject ?? 'anonymous')
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt - 5)
        .setExpirationTime(issuedAt + lifetime)
        .setJti(randomUUID())
        .sign(key);
      const body = JSON.stringify({
        token,
        access_token: token,
        expires_in: lifetime,
        issued_at: new Date(issuedAt * 1000).toISOString(),
      });
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
      });
      res.end(body);
    },
  };

  return { authorize, endpoints: [endpoint] };
}

/** `repository:<name>:<a,b>` (names may contain `/`, and `:` only before the port of a host). */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter((a) => a !== ''),
  };
}
