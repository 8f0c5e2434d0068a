import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppendResult, TraceRange, TraceStore } from './trace-store.js';

/**
 * Keeps another `TraceStore`'s logs on disk too (`<dir>/<jobId>.log`), so they survive a restart
 * of the mock: the runner of a job that was running goes on patching from where it was, and the
 * final update's checksum still matches. Every accepted append is written through; logs found at
 * construction are loaded back into the inner store.
 */
export class FileBackedTraceStore implements TraceStore {
  readonly #inner: TraceStore;
  readonly #dir: string;

  constructor(inner: TraceStore, dir: string) {
    this.#inner = inner;
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      const match = /^(\d+)\.log$/.exec(name);
      if (!match) continue;
      const bytes = readFileSync(path.join(dir, name));
      if (bytes.length > 0) inner.append(Number(match[1]), bytes, { start: 0, end: bytes.length - 1 });
    }
  }

  append(jobId: number, chunk: Uint8Array, range: TraceRange): AppendResult {
    const result = this.#inner.append(jobId, chunk, range);
    if (result.reset) writeFileSync(this.#file(jobId), result.appended);
    else if (result.appended.length > 0) appendFileSync(this.#file(jobId), result.appended);
    return result;
  }

  read(jobId: number): Buffer {
    return this.#inner.read(jobId);
  }

  length(jobId: number): number {
    return this.#inner.length(jobId);
  }

  checksum(jobId: number): string {
    return this.#inner.checksum(jobId);
  }

  truncate(jobId: number): void {
    this.#inner.truncate(jobId);
    writeFileSync(this.#file(jobId), Buffer.alloc(0));
  }

  delete(jobId: number): void {
    this.#inner.delete(jobId);
    rmSync(this.#file(jobId), { force: true });
  }

  #file(jobId: number): string {
    return path.join(this.#dir, `${jobId}.log`);
  }
}
