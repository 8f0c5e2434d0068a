import type { StoreHookDetail, StoreHooks, StorePoint } from '../store-hooks.js';

/** A paused store operation: `reached` resolves when it gets there, `release()` lets it go on. */
export interface Pause {
  readonly reached: Promise<StoreHookDetail>;
  release(): void;
}

/**
 * Store hooks for deterministic race tests: `pause(point, when)` holds the next operation that
 * reaches `point` (and matches `when`) until the test releases it, so the test can run another
 * operation exactly there. Every other arrival passes straight through.
 */
export class Barriers implements StoreHooks {
  readonly #waiting: Array<{
    point: StorePoint;
    when: (detail: StoreHookDetail) => boolean;
    arrive: (detail: StoreHookDetail) => void;
    gate: Promise<void>;
  }> = [];
  /** Every point reached, in order (for assertions on what ran). */
  readonly log: Array<{ point: StorePoint; detail: StoreHookDetail }> = [];

  pause(point: StorePoint, when: (detail: StoreHookDetail) => boolean = () => true): Pause {
    let arrive!: (detail: StoreHookDetail) => void;
    let release!: () => void;
    const reached = new Promise<StoreHookDetail>((resolve) => {
      arrive = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#waiting.push({ point, when, arrive, gate });
    return { reached, release };
  }

  async at(point: StorePoint, detail: StoreHookDetail): Promise<void> {
    this.log.push({ point, detail });
    const index = this.#waiting.findIndex((entry) => entry.point === point && entry.when(detail));
    if (index === -1) return;
    const [entry] = this.#waiting.splice(index, 1);
    entry!.arrive(detail);
    await entry!.gate;
  }
}
