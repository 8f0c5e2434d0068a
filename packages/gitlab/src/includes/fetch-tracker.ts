import pLimit, { type LimitFunction } from 'p-limit';

/** A fetch that takes long enough to show, or one that finished. */
export type FetchProgress =
  | { readonly type: 'slow'; readonly what: string; readonly elapsedMs: number }
  | { readonly type: 'done'; readonly what: string; readonly elapsedMs: number; readonly ok: boolean };

export interface FetchTrackerOptions {
  /** Fetches in flight at most (`[gitlab] concurrency`). */
  readonly concurrency: number;
  readonly onProgress?: ((event: FetchProgress) => void) | undefined;
  /** When a fetch still running counts as slow and is reported (default 2 s). */
  readonly slowAfterMs?: number;
  readonly clock?: () => number;
}

/**
 * Runs network fetches with a bound on how many run at once, one fetch per key however many ask
 * for it at the same time, and a progress callback for the slow ones (and each one's end).
 */
export class FetchTracker {
  readonly #limit: LimitFunction;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #clock: () => number;

  constructor(private readonly options: FetchTrackerOptions) {
    this.#limit = pLimit(options.concurrency);
    this.#clock = options.clock ?? Date.now;
  }

  /** `work` once per `key` while it runs; later callers of the same key share its result. */
  run<T>(key: string, what: string, work: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) return running as Promise<T>;
    const task = this.#limit(() => this.#timed(what, work)).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, task);
    return task;
  }

  async #timed<T>(what: string, work: () => Promise<T>): Promise<T> {
    const started = this.#clock();
    const slowAfter = this.options.slowAfterMs ?? 2_000;
    const timer =
      this.options.onProgress &&
      setTimeout(
        () => this.options.onProgress?.({ type: 'slow', what, elapsedMs: this.#clock() - started }),
        slowAfter,
      );
    timer?.unref?.();
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } finally {
      if (timer) clearTimeout(timer);
      this.options.onProgress?.({ type: 'done', what, elapsedMs: this.#clock() - started, ok });
    }
  }
}
