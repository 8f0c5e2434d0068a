import { writeFileSync } from 'node:fs';
import { readKibFields } from './proc.js';

/** Resident memory of a process from /proc/<pid>/status, in bytes (`VmRSS` and `VmHWM`). */
export function readMemory(pid: number): { rss: number; hwm: number } | undefined {
  const fields = readKibFields(`/proc/${pid}/status`, ['VmRSS', 'VmHWM']);
  // A kernel thread or a zombie has no such lines: 0.
  return fields && { rss: fields.VmRSS || 0, hwm: fields.VmHWM || 0 };
}

/**
 * Samples a process's RSS while a measurement runs and reports the peak. The kernel's own peak
 * (`VmHWM`) is reset at the start where allowed (`/proc/<pid>/clear_refs` = 5), so it covers exactly
 * this window; otherwise the polled maximum of `VmRSS` is used.
 */
export class RssProbe {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  readonly #hwmReset: boolean;
  #peak = 0;

  constructor(pid: number, intervalMs = 20) {
    this.#pid = pid;
    let reset = false;
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      reset = true;
    } catch {
      // Not our process or an old kernel: fall back to polling.
    }
    this.#hwmReset = reset;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  /** Stops sampling; returns the peak RSS in bytes over the window. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    const memory = readMemory(this.#pid);
    if (this.#hwmReset && memory) this.#peak = Math.max(this.#peak, memory.hwm);
    return this.#peak;
  }

  #sample(): void {
    const memory = readMemory(this.#pid);
    if (memory) this.#peak = Math.max(this.#peak, memory.rss);
  }
}
