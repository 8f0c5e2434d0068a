import type { Clock } from './clock.js';
import type { JsonFile } from './json-file.js';
import type { TokenIssuer } from './tokens.js';

export interface RunnerInfo {
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Whether the runner picks jobs without tags (GitLab's default for new runners: true when untagged). */
  readonly runUntagged?: boolean;
  readonly locked?: boolean;
  readonly paused?: boolean;
  readonly maximumTimeout?: number;
  /** Registered with the legacy registration token: its token has no `glrt-` prefix. */
  readonly legacy?: boolean;
}

export interface Runner {
  readonly id: number;
  readonly description: string;
  readonly tags: readonly string[];
  readonly runUntagged: boolean;
  readonly paused: boolean;
  readonly maximumTimeout: number | undefined;
  readonly createdAt: number;
  /** `system_id`s of the runner managers (hosts) that have used this runner's token. */
  readonly managers: ReadonlySet<string>;
  contactedAt: number | undefined;
}

/**
 * Where runners live. `register` returns the runner with its authentication token (`glrt-…`);
 * `verify` maps a token back to its runner (undefined for anything unknown or forged);
 * `unregister` removes the runner, `unregisterManager` only one of its managers.
 */
export interface RunnerStore {
  register(info: RunnerInfo): { runner: Runner; token: string };
  verify(token: unknown, systemId?: string): Runner | undefined;
  unregister(token: unknown): boolean;
  unregisterManager(token: unknown, systemId: string): boolean;
  list(): readonly Runner[];
}

export interface MemoryRunnerStoreOptions {
  readonly tokens: TokenIssuer;
  readonly clock: Clock;
  /**
   * Keeps the runners across restarts: loaded at construction, saved on every registration and
   * removal. Tokens are derived from the secret, so only the records are stored, never a token.
   */
  readonly file?: JsonFile<SavedRunners>;
}

/** What a `MemoryRunnerStore` saves. */
export interface SavedRunners {
  readonly nextId: number;
  readonly runners: readonly Omit<Runner, 'managers' | 'contactedAt'>[];
}

export class MemoryRunnerStore implements RunnerStore {
  readonly #runners = new Map<number, Runner & { managers: Set<string> }>();
  readonly #tokens: TokenIssuer;
  readonly #clock: Clock;
  #nextId = 1;

  readonly #file: JsonFile<SavedRunners> | undefined;

  constructor(options: MemoryRunnerStoreOptions) {
    this.#tokens = options.tokens;
    this.#clock = options.clock;
    this.#file = options.file;
    const saved = this.#file?.load();
    if (saved) {
      this.#nextId = saved.nextId;
      for (const runner of saved.runners) {
        this.#runners.set(runner.id, { ...runner, managers: new Set<string>(), contactedAt: undefined });
      }
    }
  }

  #save(): void {
    this.#file?.save({
      nextId: this.#nextId,
      runners: [...this.#runners.values()].map(
        ({ managers: _managers, contactedAt: _contacted, ...runner }) => runner,
      ),
    });
  }

  register(info: RunnerInfo): { runner: Runner; token: string } {
    const tags = normalizeTags(info.tags ?? []);
    const runner = {
      id: this.#nextId++,
      description: info.description ?? '',
      tags,
      runUntagged: info.runUntagged ?? tags.length === 0,
      paused: info.paused ?? false,
      maximumTimeout: info.maximumTimeout || undefined,
      createdAt: this.#clock.now(),
      managers: new Set<string>(),
      contactedAt: undefined,
    };
    this.#runners.set(runner.id, runner);
    this.#save();
    const token = info.legacy
      ? this.#tokens.legacyRunnerToken(runner.id)
      : this.#tokens.runnerToken(runner.id);
    return { runner, token };
  }

  verify(token: unknown, systemId?: string): Runner | undefined {
    const id = this.#tokens.parseRunnerToken(token);
    const runner = id === undefined ? undefined : this.#runners.get(id);
    if (!runner) return undefined;
    runner.contactedAt = this.#clock.now();
    if (systemId) runner.managers.add(systemId);
    return runner;
  }

  unregister(token: unknown): boolean {
    const id = this.#tokens.parseRunnerToken(token);
    const removed = id !== undefined && this.#runners.delete(id);
    if (removed) this.#save();
    return removed;
  }

  unregisterManager(token: unknown, systemId: string): boolean {
    const id = this.#tokens.parseRunnerToken(token);
    const runner = id === undefined ? undefined : this.#runners.get(id);
    return runner?.managers.delete(systemId) ?? false;
  }

  list(): readonly Runner[] {
    return [...this.#runners.values()];
  }
}

/** `"a, b"` or `["a", "b"]` → trimmed, unique, non-empty tags. */
export function normalizeTags(tags: string | readonly string[]): string[] {
  const list = typeof tags === 'string' ? tags.split(',') : tags;
  return [...new Set(list.map((tag) => tag.trim()).filter((tag) => tag !== ''))];
}

/** GitLab's rule: every job tag is a runner tag; untagged jobs only go to runners that run untagged. */
export function runnerMatches(runner: Pick<Runner, 'tags' | 'runUntagged'>, jobTags: readonly string[]) {
  if (jobTags.length === 0) return runner.runUntagged;
  return jobTags.every((tag) => runner.tags.includes(tag));
}
