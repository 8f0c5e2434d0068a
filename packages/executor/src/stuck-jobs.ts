import type { JobOutcome } from './scheduler.js';

/**
 * Jobs no runner can take (their tags): they stay pending, as on GitLab, while the rest of the
 * pipeline runs. GitLab's stuck-job worker eventually fails such a job
 * (`stuck_or_timeout_failure`); locally the runners cannot change during a pipeline (they come
 * from the configuration the daemon read), so once nothing but stuck jobs is left the pipeline
 * would only wait forever: then they fail, with the message that names their tags and the
 * runner that would serve them.
 */
export class StuckJobs {
  readonly #waiting = new Map<string, (outcome: JobOutcome) => void>();

  get size(): number {
    return this.#waiting.size;
  }

  /** Resolves when the job is given up (`releaseAll`) or canceled (`signal`). */
  wait(name: string, signal: AbortSignal): Promise<JobOutcome> {
    return new Promise((resolve) => {
      const done = (outcome: JobOutcome) => {
        this.#waiting.delete(name);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = () => done({ state: 'canceled' });
      if (signal.aborted) return onAbort();
      this.#waiting.set(name, done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Fails every waiting job as GitLab's stuck-job worker does. */
  releaseAll(): void {
    for (const done of [...this.#waiting.values()])
      done({ state: 'failed', failureReason: 'stuck_or_timeout_failure' });
  }
}
