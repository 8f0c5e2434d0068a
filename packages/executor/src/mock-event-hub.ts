import type { Logger } from '@glci/config';
import type { MockClient, MockJob } from './mock-client.js';

export interface JobWatch {
  /** Called with each state the job reaches, in order, once each. */
  readonly onState: (state: MockJob['state'], job: Partial<MockJob>) => void;
  /** Called with the log's bytes in order, without gaps or repeats. */
  readonly onTrace: (chunk: Buffer, offset: number) => void;
}

const FINAL = new Set(['success', 'failed', 'canceled']);

interface Followed {
  readonly watch: JobWatch;
  /** Log bytes delivered so far. */
  offset: number;
  state: MockJob['state'] | undefined;
  final: (job: Partial<MockJob>) => void;
}

/**
 * One event stream from the mock, shared by every job the daemon follows, that survives the
 * stream breaking (a mock restart, a tunnel that dropped): it reconnects with the ids it follows,
 * and from the snapshots the mock sends first it catches up on missed states and log bytes (read
 * with `trace(id, offset)`), so each watcher sees every state once and every byte once, in order.
 */
export class MockEventHub {
  readonly #client: MockClient;
  readonly #logger: Logger;
  readonly #followed = new Map<number, Followed>();
  #controller: AbortController | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(options: { client: MockClient; logger: Logger }) {
    this.#client = options.client;
    this.#logger = options.logger.child({ module: 'mock-events' });
  }

  /**
   * Follows a job until its final state; resolves with what the mock says of it then. `offset`:
   * log bytes the caller has already (a daemon re-attaching after a restart).
   */
  watch(jobId: number, watch: JobWatch, options: { offset?: number } = {}): Promise<Partial<MockJob>> {
    return new Promise((resolve) => {
      this.#followed.set(jobId, { watch, offset: options.offset ?? 0, state: undefined, final: resolve });
      this.#reconnect();
    });
  }

  /** Stops following everything (the daemon is stopping). */
  close(): void {
    this.#closed = true;
    this.#controller?.abort();
  }

  /** (Re)opens the stream so that it covers every followed job. */
  #reconnect(): void {
    if (this.#closed) return;
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    const previous = this.#connecting ?? Promise.resolve();
    this.#connecting = previous.then(() => this.#follow(controller.signal));
  }

  async #follow(signal: AbortSignal): Promise<void> {
    let backoff = 200;
    while (!signal.aborted && this.#followed.size > 0) {
      try {
        for await (const event of this.#client.events({ jobs: [...this.#followed.keys()], signal })) {
          backoff = 200;
          if (event.type === 'snapshot') await this.#catchUp(event.job, event.traceLength);
          else if (event.type === 'state') this.#state(event.jobId, event.state, event);
          else if (event.type === 'trace') this.#trace(event.jobId, event.chunk, event.offset);
          else if (event.type === 'trace-reset') this.#traceReset(event.jobId);
          if (this.#followed.size === 0) return;
        }
      } catch (error) {
        if (signal.aborted) return;
        this.#logger.warn("the mock's event stream broke; reconnecting", { error: (error as Error).message });
      }
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 5_000);
    }
  }

  async #catchUp(job: MockJob, traceLength: number): Promise<void> {
    const followed = this.#followed.get(job.id);
    if (!followed) return;
    if (traceLength > followed.offset) {
      const missing = await this.#client.trace(job.id, followed.offset);
      this.#trace(job.id, missing, followed.offset);
    }
    this.#state(job.id, job.state, job);
  }

  #state(jobId: number, state: MockJob['state'], job: Partial<MockJob>): void {
    const followed = this.#followed.get(jobId);
    if (!followed || followed.state === state) return;
    followed.state = state;
    followed.watch.onState(state, job);
    if (FINAL.has(state)) {
      this.#followed.delete(jobId);
      followed.final(job);
    }
  }

  #trace(jobId: number, chunk: Buffer, offset: number): void {
    const followed = this.#followed.get(jobId);
    if (!followed) return;
    const end = offset + chunk.length;
    if (end <= followed.offset) return; // already delivered
    if (offset > followed.offset) {
      // A gap (events lost while the stream reconnected): the next snapshot fills it.
      this.#reconnect();
      return;
    }
    const fresh = chunk.subarray(followed.offset - offset);
    const at = followed.offset;
    followed.offset = end;
    followed.watch.onTrace(fresh, at);
  }

  /** The runner re-sent its whole log (after a checksum mismatch): what was shown was not final. */
  #traceReset(jobId: number): void {
    const followed = this.#followed.get(jobId);
    if (followed) followed.offset = 0;
  }
}
