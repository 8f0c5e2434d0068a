/**
 * The events of one pipeline, kept for late subscribers (a `glci run` that reconnects, a second
 * terminal following the same pipeline) and handed to live ones. Log chunks are kept up to a
 * budget; beyond it the oldest are dropped from the replay (the history keeps every byte) and a
 * subscriber that needs them is told how many bytes it missed.
 */
export class EventLog<E extends { readonly type: string }> {
  readonly #events: (E | undefined)[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #maxTraceBytes: number;
  readonly #sizeOf: (event: E) => number;
  #traceBytes = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: { maxTraceBytes?: number; sizeOf: (event: E) => number }) {
    this.#maxTraceBytes = options.maxTraceBytes ?? 64 * 1024 * 1024;
    this.#sizeOf = options.sizeOf;
  }

  push(event: E): void {
    if (this.#closed) return;
    const size = this.#sizeOf(event);
    this.#events.push(event);
    this.#traceBytes += size;
    // Drop the oldest sized events (log chunks) until under budget again.
    for (
      let index = this.#dropped;
      this.#traceBytes > this.#maxTraceBytes && index < this.#events.length;
      index++
    ) {
      const old = this.#events[index];
      if (old === undefined) continue;
      const oldSize = this.#sizeOf(old);
      if (oldSize === 0) continue;
      this.#events[index] = undefined;
      this.#traceBytes -= oldSize;
      this.#dropped = index;
    }
    this.#wakeAll();
  }

  /** No more events: subscribers end after the last one. */
  close(): void {
    this.#closed = true;
    this.#wakeAll();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Every event from `from` on (dropped log chunks skipped), then live ones until `close`. */
  async *subscribe(options: { from?: number; signal?: AbortSignal } = {}): AsyncGenerator<E> {
    let next = options.from ?? 0;
    while (!options.signal?.aborted) {
      while (next < this.#events.length) {
        const event = this.#events[next++];
        if (event !== undefined) yield event;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          options.signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.add(wake);
        options.signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
