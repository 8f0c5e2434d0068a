import { crc32, formatChecksum } from './crc32.js';
import { PayloadTooLargeError, RangeMismatchError } from './errors.js';

export interface TraceRange {
  /** First byte offset. */
  readonly start: number;
  /** Last byte offset, inclusive (the runner's `Content-Range: start-end`). */
  readonly end: number;
}

export interface AppendResult {
  /** Stored length after the append. */
  readonly length: number;
  /** The bytes that were new (empty for an idempotent re-send). */
  readonly appended: Buffer;
  /** Offset of `appended` in the trace. */
  readonly offset: number;
  /** True when a PATCH from offset 0 with different bytes replaced the trace (after a 412). */
  readonly reset: boolean;
}

/**
 * Job logs. `append` accepts a chunk only where it continues the stored trace: exactly at the end,
 * or overlapping it with identical bytes (runner retries are idempotent); a chunk from offset 0
 * that differs replaces the trace (the runner's full re-send after a 412). Anything else throws
 * `RangeMismatchError` carrying the stored length (→ 416 + `Range: 0-<length>`).
 */
export interface TraceStore {
  append(jobId: number, chunk: Uint8Array, range: TraceRange): AppendResult;
  read(jobId: number): Buffer;
  length(jobId: number): number;
  /** `crc32:%08x` of the stored bytes. */
  checksum(jobId: number): string;
  /** Empties the log (before the runner's full re-send that follows a 412). */
  truncate(jobId: number): void;
  delete(jobId: number): void;
}

interface Trace {
  buffer: Buffer;
  length: number;
  crc: number;
}

export class MemoryTraceStore implements TraceStore {
  readonly #traces = new Map<number, Trace>();
  readonly #maxBytes: number;

  /** `maxBytes` caps one job's log (the runner's own `output_limit` defaults to 4 MiB). */
  constructor(options: { maxBytes?: number } = {}) {
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  append(jobId: number, chunk: Uint8Array, range: TraceRange): AppendResult {
    const trace = this.#get(jobId);
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (range.end - range.start + 1 !== bytes.length) {
      throw new RangeMismatchError('Content-Range does not match the body length', trace.length);
    }
    if (range.start > trace.length) {
      throw new RangeMismatchError(
        `trace has ${trace.length} bytes, patch starts at ${range.start}`,
        trace.length,
      );
    }
    const overlap = Math.min(trace.length, range.end + 1) - range.start;
    const matches = trace.buffer
      .subarray(range.start, range.start + overlap)
      .equals(bytes.subarray(0, overlap));
    if (!matches) {
      if (range.start !== 0) {
        throw new RangeMismatchError(`patch at ${range.start} differs from the stored trace`, trace.length);
      }
      trace.length = 0;
      trace.crc = 0;
      this.#write(trace, bytes);
      return { length: trace.length, appended: bytes, offset: 0, reset: true };
    }
    const appended = bytes.subarray(overlap);
    const offset = trace.length;
    this.#write(trace, appended);
    return { length: trace.length, appended, offset, reset: false };
  }

  read(jobId: number): Buffer {
    const trace = this.#traces.get(jobId);
    return trace ? Buffer.from(trace.buffer.subarray(0, trace.length)) : Buffer.alloc(0);
  }

  length(jobId: number): number {
    return this.#traces.get(jobId)?.length ?? 0;
  }

  checksum(jobId: number): string {
    return formatChecksum(this.#traces.get(jobId)?.crc ?? 0);
  }

  truncate(jobId: number): void {
    const trace = this.#traces.get(jobId);
    if (!trace) return;
    trace.length = 0;
    trace.crc = 0;
  }

  delete(jobId: number): void {
    this.#traces.delete(jobId);
  }

  #get(jobId: number): Trace {
    let trace = this.#traces.get(jobId);
    if (!trace) {
      trace = { buffer: Buffer.alloc(0), length: 0, crc: 0 };
      this.#traces.set(jobId, trace);
    }
    return trace;
  }

  #write(trace: Trace, bytes: Buffer): void {
    if (bytes.length === 0) return;
    const needed = trace.length + bytes.length;
    if (needed > this.#maxBytes) throw new PayloadTooLargeError('the job log is too large', this.#maxBytes);
    if (needed > trace.buffer.length) {
      const grown = Buffer.alloc(Math.min(this.#maxBytes, Math.max(needed, trace.buffer.length * 2, 4096)));
      trace.buffer.copy(grown, 0, 0, trace.length);
      trace.buffer = grown;
    }
    bytes.copy(trace.buffer, trace.length);
    trace.length = needed;
    trace.crc = crc32(bytes, trace.crc);
  }
}
