import { createHash } from 'node:crypto';
import { inspect } from 'node:util';

/** Where the token came from, said in `glci config --gitlab` instead of its value. */
export type TokenSource =
  | { readonly kind: 'config'; readonly file: string }
  | { readonly kind: 'env'; readonly variable: string };

/** `PRIVATE-TOKEN` (personal, project and group access tokens) or `Authorization: Bearer` (OAuth). */
export type TokenScheme = 'private' | 'oauth';

const REDACTED = '<redacted>';

/**
 * A GitLab token that cannot leak by accident: printing, logging, `JSON.stringify`, string
 * interpolation and `util.inspect` all show `<redacted>`. Only `authorizationHeader()` (used by the
 * HTTP layer) and `password()` (git's credential for HTTP) hand the value out.
 */
export class GitlabToken {
  readonly #value: string;
  readonly scheme: TokenScheme;
  readonly source: TokenSource;

  constructor(value: string, source: TokenSource, scheme: TokenScheme | 'auto' = 'auto') {
    if (value.length === 0) throw new Error('a GitLab token cannot be empty');
    this.#value = value;
    this.source = source;
    this.scheme = scheme === 'auto' ? guessScheme(value) : scheme;
  }

  /** The header GitLab's REST API reads the token from. */
  authorizationHeader(): Readonly<Record<string, string>> {
    return this.scheme === 'oauth'
      ? { authorization: `Bearer ${this.#value}` }
      : { 'private-token': this.#value };
  }

  /**
   * The password git sends over HTTP Basic auth: GitLab accepts any user name with an access token,
   * and `oauth2` with an OAuth token.
   */
  password(): { readonly username: string; readonly password: string } {
    return { username: this.scheme === 'oauth' ? 'oauth2' : 'glci', password: this.#value };
  }

  /** A short hash that tells tokens apart (cache keys) without revealing anything about the value. */
  fingerprint(): string {
    return createHash('sha256').update(`glci-token:${this.#value}`).digest('hex').slice(0, 16);
  }

  /** Whether `text` contains the token, so that a message can be checked before it is shown. */
  occursIn(text: string): boolean {
    return text.includes(this.#value);
  }

  describeSource(): string {
    return this.source.kind === 'env'
      ? `the ${this.source.variable} environment variable`
      : `[gitlab] token in ${this.source.file}`;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `GitlabToken(${REDACTED}, ${this.scheme}, from ${this.describeSource()})`;
  }
}

/**
 * OAuth access tokens are 64 hexadecimal characters; personal, project and group access tokens
 * carry a `glpat-` prefix (or, made before GitLab 14.5, are 20 characters that are not all hex).
 */
export function guessScheme(value: string): TokenScheme {
  return /^[0-9a-f]{64}$/.test(value) ? 'oauth' : 'private';
}
