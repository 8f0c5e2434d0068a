/**
 * `[runner] concurrent`: the jobs the runner runs at once, across every pipeline of the daemon.
 * The runner itself is given more workers than that (one per runner entry for its held job
 * request, see `RunnerFleet`), so the limit is kept here: a job is queued in the mock only once
 * it holds a slot, and slots are handed out in the order they were asked for.
 */
export class RunnerSlots {
  readonly #capacity: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  /** `capacity` ≤ 0: no limit. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get held(): number {
    return this.#held;
  }

  /** Resolves with the slot's release once one is free; rejects when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#capacity <= 0 || this.#held < this.#capacity) return Promise.resolve(this.hold());
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.hold());
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  /** Takes a slot at once, even past the limit: a job that runs already (re-attached after a restart). */
  hold(): () => void {
    this.#held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      if (this.#held < this.#capacity || this.#capacity <= 0) this.#waiting.shift()?.();
    };
  }
}
