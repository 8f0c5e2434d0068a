import type { Digest } from '../digest.js';

/**
 * A least-recently-used cache of small immutable content by digest (manifests), bounded in bytes
 * and scoped to one namespace. Content addressing makes it always correct: a digest's bytes never
 * change. Callers check the repository's link before using it, so a deleted manifest still 404s.
 */
export class ContentCache {
  readonly #entries = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number = Math.max(0, Math.floor(maxBytes / 8)),
  ) {}

  get(digest: Digest): Uint8Array | undefined {
    const key = digest.toString();
    const content = this.#entries.get(key);
    if (content === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, content);
    return content;
  }

  set(digest: Digest, content: Uint8Array): void {
    if (content.length > this.maxEntryBytes) return;
    const key = digest.toString();
    const previous = this.#entries.get(key);
    if (previous) {
      this.#entries.delete(key);
      this.#bytes -= previous.length;
    }
    this.#entries.set(key, content);
    this.#bytes += content.length;
    for (const [oldest, value] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= value.length;
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }
}
