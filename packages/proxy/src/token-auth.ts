import { isIP } from 'node:net';
import type { Logger } from '@glci/config';
import type { Got } from 'got';
import { getDomain } from 'tldts';
import type { Clock } from './clock.js';
import { Inflight } from './inflight.js';
import { UpstreamRequestError } from './upstream-client.js';

/**
 * Upstream authentication: the Docker token flow (anonymous, or with the upstream's credentials)
 * and HTTP Basic. The first 401 teaches the challenge; later requests send a cached token for their
 * scope up front, so a warm client makes no extra round trip. Tokens are kept until `expires_in`
 * (at least 60 s, per the token spec) minus a safety margin.
 *
 * Credentials go only to the upstream itself and to token realms inside the upstream's
 * registrable domain (public-suffix based, as distribution's proxyauth does); a loopback realm
 * counts as the same domain as a loopback upstream. An https upstream never sends them to an http
 * realm. Any other realm is asked anonymously. Nothing here logs a credential or a token.
 */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export type Challenge =
  | { readonly scheme: 'bearer'; readonly realm: string; readonly service?: string; readonly scope?: string }
  | { readonly scheme: 'basic'; readonly realm?: string };

/** Parses one `WWW-Authenticate` value (`Bearer realm="…",service="…"` or `Basic realm="…"`). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
  for (const param of match[2]!.matchAll(pattern)) {
    params[param[1]!.toLowerCase()] = (param[2] ?? param[3] ?? '').replace(/\\(.)/g, '$1');
  }
  if (scheme === 'bearer' && params.realm) {
    return { scheme, realm: params.realm, service: params.service, scope: params.scope };
  }
  if (scheme === 'basic') return { scheme, realm: params.realm };
  return undefined;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Whether the upstream's credentials may be sent to this token realm. */
export function realmMayReceiveCredentials(upstreamUrl: string, realmUrl: string): boolean {
  let upstream: URL;
  let realm: URL;
  try {
    upstream = new URL(upstreamUrl);
    realm = new URL(realmUrl);
  } catch {
    return false;
  }
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') return false;
  if (upstream.protocol === 'https:' && realm.protocol !== 'https:') return false;
  if (isLoopback(upstream.hostname) || isLoopback(realm.hostname)) {
    return isLoopback(upstream.hostname) && isLoopback(realm.hostname);
  }
  if (isIP(upstream.hostname) || isIP(realm.hostname)) return upstream.hostname === realm.hostname;
  const upstreamDomain = getDomain(upstream.hostname, { allowPrivateDomains: true });
  return (
    upstreamDomain !== null && upstreamDomain === getDomain(realm.hostname, { allowPrivateDomains: true })
  );
}

interface CachedToken {
  readonly header: string;
  readonly expiresAt: number;
}

export interface TokenAuthOptions {
  readonly upstreamUrl: string;
  readonly credentials?: Credentials;
  readonly http: Got;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class TokenAuth {
  #challenge: Challenge | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #fetches = new Inflight<string, CachedToken>();
  /** Tokens requested from the realm (for tests and stats). */
  tokenRequests = 0;

  constructor(private readonly options: TokenAuthOptions) {}

  /** The `Authorization` header to send up front for `scope`, when the challenge is known. */
  async authorization(scope: string | undefined): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return this.#basic();
    return (await this.#token(challenge, scope)).header;
  }

  /**
   * Learns from a 401's challenge and returns the header to retry with, or `undefined` when there is
   * nothing new to try (no credentials for Basic, or the token was already fresh).
   */
  async respond(header: string | undefined, scope: string | undefined, sent: string | undefined) {
    const challenge = parseChallenge(header);
    if (!challenge) return undefined;
    this.#challenge = challenge;
    if (challenge.scheme === 'basic') {
      const basic = this.#basic();
      return basic && basic !== sent ? basic : undefined;
    }
    const key = this.#key(challenge, scope);
    const cached = this.#tokens.get(key);
    if (cached && cached.header === sent) this.#tokens.delete(key);
    const token = await this.#token(challenge, scope);
    return token.header !== sent ? token.header : undefined;
  }

  #basic(): string | undefined {
    const credentials = this.options.credentials;
    if (!credentials) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  #key(challenge: Challenge & { scheme: 'bearer' }, scope: string | undefined): string {
    return `${challenge.realm}\n${challenge.service ?? ''}\n${scope ?? ''}`;
  }

  async #token(challenge: Challenge & { scheme: 'bearer' }, scope: string | undefined): Promise<CachedToken> {
    const key = this.#key(challenge, scope);
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > this.options.clock.now()) return cached;
    return await this.#fetches.run(key, async () => {
      const token = await this.#request(challenge, scope);
      this.#tokens.set(key, token);
      return token;
    });
  }

  async #request(
    challenge: Challenge & { scheme: 'bearer' },
    scope: string | undefined,
  ): Promise<CachedToken> {
    const { upstreamUrl, credentials, http, clock, logger } = this.options;
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    if (scope) url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (credentials) {
      if (realmMayReceiveCredentials(upstreamUrl, challenge.realm)) {
        headers.authorization = this.#basic()!;
      } else {
        logger.warn('token realm is outside the upstream domain; asking it anonymously', {
          upstream: upstreamUrl,
          realm: url.origin,
        });
      }
    }
    this.tokenRequests += 1;
    let response: {
      statusCode: number;
      body: string;
      headers: Record<string, string | string[] | undefined>;
    };
    try {
      response = await http.get(url, { headers, throwHttpErrors: false, followRedirect: false });
    } catch (error) {
      throw new UpstreamRequestError(upstreamUrl, 'unreachable', `token realm ${url.origin} failed`, {
        cause: error,
      });
    }
    if (response.statusCode === 429) {
      throw new UpstreamRequestError(upstreamUrl, 'rate-limited', `token realm ${url.origin} answered 429`, {
        status: 429,
        retryAfterSeconds: parseRetryAfter(response.headers['retry-after'], clock.now()),
      });
    }
    if (response.statusCode >= 500) {
      throw new UpstreamRequestError(
        upstreamUrl,
        'server-error',
        `token realm answered ${response.statusCode}`,
        {
          status: response.statusCode,
        },
      );
    }
    if (response.statusCode !== 200) {
      throw new UpstreamRequestError(
        upstreamUrl,
        'unauthorized',
        `token realm ${url.origin} refused ${scope ?? 'the request'} (${response.statusCode})`,
        { status: response.statusCode },
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(response.body) as typeof body;
    } catch (error) {
      throw new UpstreamRequestError(upstreamUrl, 'invalid', 'token realm answered invalid JSON', {
        cause: error,
      });
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new UpstreamRequestError(upstreamUrl, 'invalid', 'token realm answered no token');
    const lifetimeSeconds = Math.max(60, Number(body.expires_in) || 60);
    // Renew a little early so that a token never expires between check and use.
    const margin = Math.min(30, lifetimeSeconds / 10) * 1000;
    return { header: `Bearer ${token}`, expiresAt: clock.now() + lifetimeSeconds * 1000 - margin };
  }
}

/** `Retry-After` as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
