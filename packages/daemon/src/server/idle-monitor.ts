export interface IdleMonitorOptions {
  /** Stop after this long with nothing to do; 0 never. */
  readonly timeoutMs: number;
  /** How often to look (default: half the timeout, at most 5 s, at least 20 ms). */
  readonly checkMs?: number;
  readonly now: () => number;
  /** Whether anything is going on right now (requests, streams, services' work). */
  readonly isBusy: () => boolean;
  readonly onIdle: (idleForMs: number) => void;
}

/**
 * Calls `onIdle` once the daemon has had nothing to do for `timeoutMs`. Activity is sampled
 * (`isBusy` at each check) and also reported as it happens (`touch`, at every request's start and
 * end), so a short request between two checks still counts.
 */
export class IdleMonitor {
  readonly #options: IdleMonitorOptions;
  #lastBusy: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: IdleMonitorOptions) {
    this.#options = options;
    this.#lastBusy = options.now();
  }

  start(): void {
    if (this.#options.timeoutMs <= 0 || this.#timer) return;
    const every =
      this.#options.checkMs ?? Math.max(20, Math.min(5000, Math.floor(this.#options.timeoutMs / 2)));
    this.#timer = setInterval(() => this.check(), every);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  touch(): void {
    this.#lastBusy = this.#options.now();
  }

  /** How long it has been idle; `undefined` while busy. */
  idleFor(): number | undefined {
    if (this.#options.isBusy()) return undefined;
    return this.#options.now() - this.#lastBusy;
  }

  check(): void {
    const idleFor = this.idleFor();
    if (idleFor === undefined) {
      this.touch();
      return;
    }
    if (this.#options.timeoutMs > 0 && idleFor >= this.#options.timeoutMs) {
      this.stop();
      this.#options.onIdle(idleFor);
    }
  }
}
