/**
 * The registry's authorization hook. Every request is reduced to the repository it touches (none
 * for `/v2/` and the catalog) and the actions it needs; the hook answers allow, challenge (401
 * with a `WWW-Authenticate` header, so the client knows how to authenticate) or deny (403).
 * Built-ins: `anonymousAuth`, `basicAuth` (htpasswd with bcrypt), `tokenAuth` (Docker token flow),
 * and `readsAnonymous` (pull without credentials, push and delete with). The mock server plugs its
 * per-job tokens in by writing its own hook.
 */
export type Action = 'pull' | 'push' | 'delete';

export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

export interface AuthRequest {
  /** The repository the request touches; absent for `/v2/` and `/v2/_catalog`. */
  readonly repository?: string;
  /** Empty for `/v2/` (a credentials check); `['pull']` for the catalog and every read. */
  readonly actions: readonly Action[];
  readonly credentials: Credentials;
  /** True for `/v2/_catalog` (the token scope `registry:catalog:*`). */
  readonly catalog?: boolean;
  /**
   * `scheme://host[:port]` as the client's `Host` header names it. The client chooses it: never
   * build anything another client will follow (a token realm) from it.
   */
  readonly origin: string;
  /** The connection the request arrived on (absent for requests made without a socket). */
  readonly connection?: ConnectionInfo;
}

/** Where a request's connection came from and arrived at, as the server's socket sees it. */
export interface ConnectionInfo {
  /** `scheme://address:port` the connection was accepted on (this server's own address). */
  readonly local: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
}

export type AuthDecision =
  | { readonly kind: 'allow'; readonly subject?: string }
  | { readonly kind: 'challenge'; readonly challenge: string; readonly message?: string }
  | { readonly kind: 'deny'; readonly message?: string };

export type AuthorizeHook = (request: AuthRequest) => AuthDecision | Promise<AuthDecision>;

/** An extra endpoint an auth scheme serves next to `/v2/` (the token endpoint). */
export interface AuthEndpoint {
  /** Absolute path, e.g. `/auth/token`; must not start with `/v2/`. */
  readonly path: string;
  handle(
    request: import('node:http').IncomingMessage,
    response: import('node:http').ServerResponse,
  ): Promise<void>;
}

/** What `createRegistry({ auth })` accepts: a bare hook, or a hook with endpoints. */
export interface RegistryAuth {
  readonly authorize: AuthorizeHook;
  readonly endpoints?: readonly AuthEndpoint[];
}

export const ALLOW: AuthDecision = Object.freeze({ kind: 'allow' });

/** Parses `Authorization: Basic|Bearer ...`; anything unparseable counts as no credentials. */
export function parseCredentials(header: string | undefined): Credentials {
  if (!header) return NO_CREDENTIALS;
  const space = header.indexOf(' ');
  if (space < 0) return NO_CREDENTIALS;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && value) return { kind: 'bearer', token: value };
  if (scheme === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return NO_CREDENTIALS;
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return NO_CREDENTIALS;
}

export const NO_CREDENTIALS: Credentials = Object.freeze({ kind: 'none' });

export function toRegistryAuth(auth: AuthorizeHook | RegistryAuth | undefined): RegistryAuth {
  if (!auth) return { authorize: () => ALLOW };
  return typeof auth === 'function' ? { authorize: auth } : auth;
}
