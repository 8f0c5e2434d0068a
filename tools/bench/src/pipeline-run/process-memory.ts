import { readFileSync } from 'node:fs';
import { readMemory } from '../rss.js';

/** One thing whose resident memory the pipeline rows report: a process, or a container's processes. */
export interface MemoryTarget {
  readonly name: string;
  /** The host pid of the process, or of the container's main process. */
  readonly pid: number;
  /** Count every process in the pid's cgroup (a container: the runner's and the mock's children too). */
  readonly wholeCgroup: boolean;
}

/**
 * The pids in the same cgroup (v2) as `pid`: a container's processes, read from the host. Just
 * `pid` when its cgroup cannot be read (cgroup v1, or the process is gone).
 */
export function cgroupPids(pid: number, root = '/sys/fs/cgroup'): number[] {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('0::'));
    if (!line) return [pid];
    return readFileSync(`${root}${line.slice(3)}/cgroup.procs`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [pid];
  }
}

/** Resident memory of a target now, in bytes: the sum over its processes; undefined when none is left. */
export function targetRss(target: MemoryTarget): number | undefined {
  const pids = target.wholeCgroup ? cgroupPids(target.pid) : [target.pid];
  let total: number | undefined;
  for (const pid of pids) {
    const memory = readMemory(pid);
    if (memory) total = (total ?? 0) + memory.rss;
  }
  return total;
}

/**
 * Polls the targets' resident memory while a run goes on and keeps each one's peak. Polling (every
 * 100 ms by default) rather than the kernel's `VmHWM`, which is per process and would not add up
 * over a container's processes; a peak shorter than the interval can be missed.
 */
export class PeakMemorySampler {
  readonly #targets: readonly MemoryTarget[];
  readonly #peaks = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(targets: readonly MemoryTarget[], intervalMs = 100) {
    this.#targets = targets;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  /** Stops polling; returns each target's peak in bytes (targets never seen are left out). */
  stop(): Map<string, number> {
    clearInterval(this.#timer);
    this.#sample();
    return new Map(this.#peaks);
  }

  #sample(): void {
    for (const target of this.#targets) {
      const rss = targetRss(target);
      if (rss !== undefined) this.#peaks.set(target.name, Math.max(this.#peaks.get(target.name) ?? 0, rss));
    }
  }
}
