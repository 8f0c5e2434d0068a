import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signs upload-session locations. The `Location` of a session is
 * `/v2/<name>/blobs/uploads/<id>?_state=<hmac>`, where the HMAC (SHA-256, a shared secret) covers
 * the repository and the session id: a client cannot guess or redirect another repository's
 * session, and every registry node configured with the same secret accepts the location (the
 * session itself lives in the shared storage driver).
 */
export class UploadLocations {
  readonly #secret: Buffer;

  constructor(secret?: string | Uint8Array) {
    this.#secret =
      secret === undefined
        ? randomBytes(32)
        : typeof secret === 'string'
          ? Buffer.from(secret, 'utf8')
          : Buffer.from(secret);
    if (this.#secret.length < 16) throw new Error('the upload secret must be at least 16 bytes');
  }

  /** The relative location of session `id` in `name`. */
  location(name: string, id: string): string {
    return `/v2/${name}/blobs/uploads/${id}?_state=${this.sign(name, id)}`;
  }

  sign(name: string, id: string): string {
    return createHmac('sha256', this.#secret).update(name).update('\0').update(id).digest('base64url');
  }

  /** Whether `state` is the signature of `name` and `id` (constant time). */
  verify(name: string, id: string, state: string | null | undefined): boolean {
    if (!state || state.length !== 43) return false;
    const expected = Buffer.from(this.sign(name, id), 'latin1');
    const given = Buffer.from(state, 'latin1');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
