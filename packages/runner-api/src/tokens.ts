import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Runner and job tokens are derived from a secret that never leaves this object:
 * `glrt-<id>_<mac>` (a runner created in advance, GitLab 16+), `<id>_<mac>` (a runner registered
 * with the legacy registration token: no prefix, so the runner's `unregister` deletes the whole
 * runner instead of only its manager, as it does against GitLab) and `glcbt-<jobId>_<mac>`, where
 * `mac` is an HMAC-SHA256 of the kind and id.
 * A token is checked by recomputing the MAC (constant time), so no token is ever stored.
 * Whether a job token is still *valid* (its job is running) is decided by the caller.
 */
export class TokenIssuer {
  readonly #secret: Buffer;

  constructor(secret: string | Uint8Array = randomBytes(32)) {
    this.#secret = Buffer.from(secret);
    if (this.#secret.length < 16) throw new RangeError('the token secret must have at least 16 bytes');
  }

  runnerToken(runnerId: number): string {
    return `glrt-${runnerId}_${this.#mac('runner', runnerId)}`;
  }

  /** The token of a runner registered with the legacy registration token (no `glrt-` prefix). */
  legacyRunnerToken(runnerId: number): string {
    return `${runnerId}_${this.#mac('legacy-runner', runnerId)}`;
  }

  /** The runner id a well-formed, authentic runner token (of either kind) names, else `undefined`. */
  parseRunnerToken(token: unknown): number | undefined {
    return this.#parse(token, 'glrt-', 'runner') ?? this.#parse(token, '', 'legacy-runner');
  }

  jobToken(jobId: number): string {
    return `glcbt-${jobId}_${this.#mac('job', jobId)}`;
  }

  /** The job id a well-formed, authentic job token names, else `undefined`. */
  parseJobToken(token: unknown): number | undefined {
    return this.#parse(token, 'glcbt-', 'job');
  }

  /** The legacy registration token (`POST /api/v4/runners`) when none is configured. */
  registrationToken(): string {
    return `GR1348941${this.#mac('registration', 0).slice(0, 20)}`;
  }

  #mac(kind: string, id: number): string {
    return createHmac('sha256', this.#secret).update(`${kind}:${id}`).digest('base64url').slice(0, 32);
  }

  #parse(token: unknown, prefix: string, kind: string): number | undefined {
    if (typeof token !== 'string' || token.length > 200 || !token.startsWith(prefix)) return undefined;
    const match = /^(\d{1,15})_([A-Za-z0-9_-]{32})$/.exec(token.slice(prefix.length));
    if (!match) return undefined;
    const id = Number(match[1]);
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    const expected = Buffer.from(this.#mac(kind, id));
    const actual = Buffer.from(match[2]!);
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? id : undefined;
  }
}
