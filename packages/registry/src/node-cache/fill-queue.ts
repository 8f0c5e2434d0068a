/** What `FillQueue.enqueue` did with a job. */
export type EnqueueResult = 'queued' | 'duplicate' | 'full' | 'closed';

export interface FillQueueOptions {
  /** Jobs running at once. */
  readonly concurrency: number;
  /** Jobs waiting beyond the running ones; more are refused (`full`). */
  readonly limit: number;
}

type Job = (signal: AbortSignal) => Promise<void>;

/**
 * Background jobs keyed by what they produce (a digest), scoped to one cache: at most one job per
 * key is queued or running (a second request for a key is a `duplicate`, not a second download),
 * at most `concurrency` run at once, and at most `limit` wait. A job's failure is its own business
 * (it must catch and report it); the queue only sequences. `close()` aborts the running jobs
 * through their signal and drops the waiting ones.
 */
export class FillQueue {
  readonly #concurrency: number;
  readonly #limit: number;
  readonly #waiting: { key: string; job: Job }[] = [];
  readonly #keys = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #idle: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(options: FillQueueOptions) {
    this.#concurrency = Math.max(1, options.concurrency);
    this.#limit = Math.max(0, options.limit);
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.#keys.size;
  }

  /** Whether a job for `key` is queued or running. */
  has(key: string): boolean {
    return this.#keys.has(key);
  }

  enqueue(key: string, job: Job): EnqueueResult {
    if (this.#abort.signal.aborted) return 'closed';
    if (this.#keys.has(key)) return 'duplicate';
    if (this.#running.size >= this.#concurrency && this.#waiting.length >= this.#limit) return 'full';
    this.#keys.add(key);
    this.#waiting.push({ key, job });
    this.#pump();
    return 'queued';
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#keys.size === 0) return Promise.resolve();
    if (!this.#idle) {
      let resolve = () => {};
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      this.#idle = { promise, resolve };
    }
    return this.#idle.promise;
  }

  /** Aborts the running jobs, drops the waiting ones, and waits for the running ones to end. */
  async close(): Promise<void> {
    this.#abort.abort(new Error('the cache is closing'));
    for (const { key } of this.#waiting.splice(0)) this.#keys.delete(key);
    await Promise.allSettled([...this.#running]);
    this.#settle();
  }

  #pump(): void {
    while (this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      const { key, job } = this.#waiting.shift() as { key: string; job: Job };
      const running: Promise<void> = job(this.#abort.signal)
        .catch(() => undefined)
        .finally(() => {
          this.#running.delete(running);
          this.#keys.delete(key);
          this.#pump();
          this.#settle();
        });
      this.#running.add(running);
    }
  }

  #settle(): void {
    if (this.#keys.size > 0 || !this.#idle) return;
    const { resolve } = this.#idle;
    this.#idle = undefined;
    resolve();
  }
}
