import { createSilentLogger, type Environment, type Logger, type ResolvedDockerHost } from '@glci/config';
import { connectDocker } from '@glci/docker';

/** Answers when the engine does; throws an error naming the endpoint and the step otherwise. */
export type EngineProbe = () => Promise<void>;

/**
 * A probe that opens a connection of its own, as a new daemon would (so a pool of dead kept-alive
 * sockets cannot fool it, nor hang it), asks the engine for its version and closes it again. Its
 * errors are `connectDocker`'s: `tcp://…: connect: connection refused …`, `ssh://…: ssh
 * authentication failed: …`. An engine that does not answer within `timeoutMs` (a cut network
 * drops packets rather than refusing them) fails it too.
 */
export function engineProbe(
  endpoint: ResolvedDockerHost,
  options: { readonly timeoutMs?: number; readonly env?: Environment } = {},
): EngineProbe {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Every failed probe would log an error of its own; the watch logs the loss once.
  const logger = createSilentLogger();
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const attempt = connectDocker(endpoint, {
      logger,
      timeoutMs,
      ...(options.env ? { env: options.env } : {}),
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`${endpoint.host}: connect: the engine did not answer within ${timeoutMs / 1000} s`),
          ),
        timeoutMs,
      );
    });
    try {
      const connection = await Promise.race([attempt, timeout]);
      connection.close();
    } finally {
      clearTimeout(timer);
      // A connection that answers after the timeout is closed as soon as it does.
      attempt.then((late) => late.close()).catch(() => undefined);
    }
  };
}

export interface EngineWatchOptions {
  readonly host: string;
  readonly probe: EngineProbe;
  /** Between probes while the engine answers. */
  readonly intervalMs?: number;
  /** Probes that must fail in a row before the engine counts as lost (one may be a blip). */
  readonly misses?: number;
  readonly logger: Logger;
  /** Called once per loss, with the last probe's error; the watch stops until `start` again. */
  readonly onLost: (error: Error) => void;
}

/**
 * Watches the Docker engine glci's pipelines run on while any does: a connection lost mid-pipeline
 * (a remote host that went down, a network cut, dockerd restarted) is noticed within about
 * `intervalMs × misses`, instead of the pipeline waiting forever on a job whose events no longer
 * come. Timers are unref'd: the watch never keeps the daemon alive.
 */
export class EngineWatch {
  readonly #options: EngineWatchOptions;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #running = false;

  constructor(options: EngineWatchOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ module: 'engine-watch', host: options.host });
  }

  get watching(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#failures = 0;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#check(), this.#options.intervalMs ?? 5_000);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    try {
      await this.#options.probe();
      this.#failures = 0;
    } catch (error) {
      this.#failures += 1;
      this.#logger.warn('the Docker engine did not answer', {
        failures: this.#failures,
        error: (error as Error).message,
      });
      if (this.#running && this.#failures >= (this.#options.misses ?? 3)) {
        this.stop();
        this.#logger.error('lost the connection to the Docker engine', { error: (error as Error).message });
        this.#options.onLost(error as Error);
        return;
      }
    }
    if (this.#running) this.#schedule();
  }
}

/**
 * Probes a lost engine until it answers or `timeoutMs` has passed: `{back: true}`, or the last
 * probe's error (which names the endpoint and the step that failed).
 */
export async function waitForEngine(options: {
  readonly probe: EngineProbe;
  readonly timeoutMs: number;
  readonly retryMs?: number;
  readonly now?: () => number;
}): Promise<{ readonly back: true } | { readonly back: false; readonly error: Error }> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  let last: Error = new Error('the engine was not probed');
  for (;;) {
    try {
      await options.probe();
      return { back: true };
    } catch (error) {
      last = error as Error;
    }
    if (now() >= deadline) return { back: false, error: last };
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(options.retryMs ?? 2_000, Math.max(0, deadline - now()))),
    );
  }
}
