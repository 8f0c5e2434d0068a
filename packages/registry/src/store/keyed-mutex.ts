/**
 * Runs operations one at a time per key, in arrival order: the manifest store serialises a PUT and a
 * DELETE of the same manifest in this process with it. Scoped to its owner (a namespace), never
 * module-wide; a key's entry lives only while an operation on it is queued or running.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await operation();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with an operation queued or running (for tests). */
  get size(): number {
    return this.#tails.size;
  }
}
