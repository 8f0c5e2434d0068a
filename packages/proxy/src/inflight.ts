/**
 * A keyed single-flight: concurrent `run(key, task)` calls share one execution of `task` and its
 * result or failure. The map belongs to the instance (never to the module), and a key is released
 * as soon as its task settles, so a later call starts afresh.
 */
export class Inflight<K, V> {
  readonly #running = new Map<K, Promise<V>>();

  run(key: K, task: () => Promise<V>): Promise<V> {
    const existing = this.#running.get(key);
    if (existing) return existing;
    const promise = (async () => {
      try {
        return await task();
      } finally {
        this.#running.delete(key);
      }
    })();
    this.#running.set(key, promise);
    return promise;
  }

  /**
   * Like `run`, but the key stays taken after `start` resolves until `hold(value)` settles: callers
   * arriving meanwhile get the same value (a download that is still streaming, for instance).
   */
  runHeld(key: K, start: () => Promise<V>, hold: (value: V) => Promise<unknown>): Promise<V> {
    const existing = this.#running.get(key);
    if (existing) return existing;
    const promise = start();
    this.#running.set(key, promise);
    promise
      .then((value) => hold(value))
      .catch(() => {})
      .finally(() => {
        if (this.#running.get(key) === promise) this.#running.delete(key);
      });
    return promise;
  }

  /** The running execution for `key`, if any. */
  get(key: K): Promise<V> | undefined {
    return this.#running.get(key);
  }

  get size(): number {
    return this.#running.size;
  }
}
