import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Which process holds something: enough for another process on the same host to tell it died. */
export interface ProcessIdentity {
  readonly host: string;
  readonly pid: number;
  /** The process's start time in clock ticks since boot (Linux `/proc/<pid>/stat`), when known. */
  readonly started?: number;
}

/** This process. */
export function currentProcess(): ProcessIdentity {
  const started = startTime(process.pid);
  return { host: hostname(), pid: process.pid, ...(started !== undefined ? { started } : {}) };
}

/**
 * True only when `identity` is provably gone: a process of this host that no longer runs, or whose
 * pid now belongs to a later process (a restarted container reuses pids). Another host's process,
 * or one that cannot be checked, is never judged gone.
 */
export function isProcessGone(identity: Partial<ProcessIdentity>): boolean {
  if (identity.host !== hostname() || typeof identity.pid !== 'number') return false;
  if (identity.pid === process.pid)
    return identity.started !== undefined && identity.started !== startTime(process.pid);
  const started = startTime(identity.pid);
  if (started !== undefined) return identity.started !== undefined && started !== identity.started;
  try {
    process.kill(identity.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Field 22 of `/proc/<pid>/stat`, or `undefined` (no such process, or not Linux). */
function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields 3.. follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
