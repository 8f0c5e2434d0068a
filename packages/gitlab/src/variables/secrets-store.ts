import { inspect } from 'node:util';
import type { GitlabToken } from '../token.js';
import type { FetchedVariables } from './fetch-variables.js';

export interface SecretsStoreOptions {
  /** How long fetched variables are kept (`[gitlab] secrets_ttl`); 0 keeps nothing. */
  readonly ttlMs: number;
  readonly clock?: () => number;
}

/**
 * Fetched CI/CD variables held in memory only (the daemon holds one store): never written to disk,
 * never printed (inspecting the store shows only how many entries it has). An entry lives for
 * `ttlMs`; `refresh` (`--refresh-secrets`) fetches again; concurrent asks for one key share one
 * fetch.
 */
export class SecretsStore {
  readonly #entries = new Map<string, { value: FetchedVariables; expiresAt: number }>();
  readonly #loading = new Map<string, Promise<FetchedVariables>>();
  readonly #clock: () => number;

  constructor(private readonly options: SecretsStoreOptions) {
    this.#clock = options.clock ?? Date.now;
  }

  /** The entry for `key`, loaded with `load` when missing, expired or refreshed; kept `ttlMs` (default the store's). */
  async get(
    key: string,
    load: () => Promise<FetchedVariables>,
    options: { readonly refresh?: boolean; readonly ttlMs?: number } = {},
  ): Promise<{ readonly variables: FetchedVariables; readonly fromMemory: boolean }> {
    this.#sweep();
    const held = this.#entries.get(key);
    if (held && !options.refresh) return { variables: held.value, fromMemory: true };
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = load().finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    const value = await loading;
    const ttlMs = options.ttlMs ?? this.options.ttlMs;
    if (ttlMs > 0) this.#entries.set(key, { value, expiresAt: this.#clock() + ttlMs });
    else this.#entries.delete(key);
    return { variables: value, fromMemory: false };
  }

  /** What is held for `key` (not expired), without loading anything. */
  peek(key: string): FetchedVariables | undefined {
    this.#sweep();
    return this.#entries.get(key)?.value;
  }

  /** Forgets one key, or everything. */
  clear(key?: string): void {
    if (key === undefined) this.#entries.clear();
    else this.#entries.delete(key);
  }

  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  toJSON(): string {
    return `SecretsStore(${this.#entries.size} entries)`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}

/**
 * The store's key for a project's variables as one token sees them: the instance, the project, the
 * `--secrets` scope and a hash of the token (two tokens may see different variables; the key never
 * holds the token itself).
 */
export function secretsKey(
  instanceUrl: string,
  project: string,
  scope: string,
  token: GitlabToken | undefined,
): string {
  return `${instanceUrl}|${project}|${scope}|${token?.fingerprint() ?? 'anonymous'}`;
}
