import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';

/**
 * Users from an htpasswd file (`user:$2y$...` per line), bcrypt hashes only: a line with any other
 * scheme (plaintext, `{SHA}`, `$apr1$`) refuses the whole file, so a weak file is never used by
 * accident. Successful checks are remembered for a short while under a SHA-256 of the credentials
 * (bcrypt is deliberately slow, and Basic clients send credentials on every request).
 */
export class HtpasswdUsers {
  readonly #hashes: ReadonlyMap<string, string>;
  readonly #verified = new Map<string, number>();
  readonly #cacheMs: number;
  readonly #now: () => number;
  /** A real hash compared against for unknown users, so timing does not reveal which users exist. */
  static readonly #decoy = bcrypt.hashSync('glci-decoy-password', 4);

  constructor(hashes: ReadonlyMap<string, string>, options: { cacheMs?: number; now?: () => number } = {}) {
    this.#hashes = hashes;
    this.#cacheMs = options.cacheMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  static parse(text: string, source = 'htpasswd'): HtpasswdUsers {
    const hashes = new Map<string, string>();
    const lines = text.split(/\r?\n/);
    for (const [index, raw] of lines.entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`${source}:${index + 1}: expected user:hash`);
      const hash = line.slice(colon + 1);
      if (!/^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
        throw new Error(`${source}:${index + 1}: only bcrypt hashes are accepted (htpasswd -B)`);
      }
      hashes.set(line.slice(0, colon), hash);
    }
    return new HtpasswdUsers(hashes);
  }

  static async load(file: string): Promise<HtpasswdUsers> {
    return HtpasswdUsers.parse(await readFile(file, 'utf8'), file);
  }

  get size(): number {
    return this.#hashes.size;
  }

  async verify(username: string, password: string): Promise<boolean> {
    const key = createHash('sha256').update(username).update('\0').update(password).digest('base64');
    const until = this.#verified.get(key);
    const now = this.#now();
    if (until !== undefined && until > now) return true;
    const hash = this.#hashes.get(username);
    const ok = await bcrypt.compare(password, hash ?? HtpasswdUsers.#decoy);
    if (!ok || hash === undefined) return false;
    if (this.#verified.size >= 1000) this.#verified.clear();
    this.#verified.set(key, now + this.#cacheMs);
    return true;
  }
}

/** Anything that can check a username and password. */
export interface UserVerifier {
  verify(username: string, password: string): Promise<boolean>;
}
