import { EventEmitter } from 'node:events';
import type { JobState } from './job-queue.js';

export interface StateEvent {
  readonly type: 'state';
  readonly jobId: number;
  readonly state: JobState;
  readonly previous: JobState | undefined;
  readonly failureReason?: string;
  readonly exitCode?: number;
}

export interface TraceEvent {
  readonly type: 'trace';
  readonly jobId: number;
  /** Byte offset of `chunk` in the job log. */
  readonly offset: number;
  readonly chunk: Buffer;
}

/** The runner re-sent its log from offset 0 with different bytes: discard what was shown. */
export interface TraceResetEvent {
  readonly type: 'trace-reset';
  readonly jobId: number;
}

/** The final update was accepted: the stored log matches the runner's checksum and size. */
export interface TraceVerifiedEvent {
  readonly type: 'trace-verified';
  readonly jobId: number;
  readonly checksum: string;
  readonly bytesize: number;
}

export type JobEvent = StateEvent | TraceEvent | TraceResetEvent | TraceVerifiedEvent;

interface JobEventMap {
  state: [StateEvent];
  trace: [TraceEvent];
  'trace-reset': [TraceResetEvent];
  'trace-verified': [TraceVerifiedEvent];
  event: [JobEvent];
}

/**
 * State changes and log chunks as they arrive. Listen per type (`on('trace', …)`), to everything
 * (`on('event', …)`), or iterate one job's events with `watch(jobId)` until it reaches a final state.
 */
export class JobEvents extends EventEmitter<JobEventMap> {
  constructor() {
    super();
    // Many CLI views and tests may watch at once; this is not a leak.
    this.setMaxListeners(0);
  }

  publish(event: JobEvent): void {
    switch (event.type) {
      case 'state':
        this.emit('state', event);
        break;
      case 'trace':
        this.emit('trace', event);
        break;
      case 'trace-reset':
        this.emit('trace-reset', event);
        break;
      case 'trace-verified':
        this.emit('trace-verified', event);
        break;
    }
    this.emit('event', event);
  }

  /**
   * One job's events, in order, from now on; ends after its final state (or when `signal` aborts).
   * Events that arrive while the consumer is busy are buffered.
   */
  async *watch(jobId: number, options: { signal?: AbortSignal } = {}): AsyncGenerator<JobEvent> {
    const buffer: JobEvent[] = [];
    let wake: (() => void) | undefined;
    const onEvent = (event: JobEvent) => {
      if (event.jobId !== jobId) return;
      buffer.push(event);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.on('event', onEvent);
    options.signal?.addEventListener('abort', onAbort);
    try {
      while (!options.signal?.aborted) {
        const event = buffer.shift();
        if (!event) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        yield event;
        if (event.type === 'state' && ['success', 'failed', 'canceled'].includes(event.state)) return;
      }
    } finally {
      this.off('event', onEvent);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}
