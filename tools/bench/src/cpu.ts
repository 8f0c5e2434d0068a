import { execFileSync } from 'node:child_process';
import { readProcStat } from './proc.js';

/** Clock ticks per second of /proc's CPU times (USER_HZ); 100 on every common Linux build. */
const TICKS_PER_SECOND = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time a process (all its threads) has used so far, user plus system, in seconds, from
 * /proc/<pid>/stat; undefined when the process is gone.
 */
export function readCpuSeconds(pid: number): number | undefined {
  const fields = readProcStat(pid);
  if (!fields) return undefined;
  // From the state (field 3) on: utime is field 14, stime field 15.
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
  return (user + system) / TICKS_PER_SECOND;
}

/** CPU seconds a process spends between construction and `stop()` (undefined if it could not be read). */
export class CpuProbe {
  readonly #pid: number;
  readonly #start: number | undefined;

  constructor(pid: number) {
    this.#pid = pid;
    this.#start = readCpuSeconds(pid);
  }

  stop(): number | undefined {
    const end = readCpuSeconds(this.#pid);
    return end === undefined || this.#start === undefined ? undefined : end - this.#start;
  }
}
