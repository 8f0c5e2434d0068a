import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time a process has used, in seconds: its own and that of the children it has waited for
 * (`/proc/<pid>/stat` utime, stime, cutime, cstime). Undefined once it is gone.
 */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing paren are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]));
    return (utime! + stime! + cutime! + cstime!) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU time every process of a container has used, in seconds, from its cgroup — which counts
 * processes that came and went between two looks (a health check started every interval), not
 * only those running now. `pid` is the container's main process on the host. cgroup v1
 * (`cpuacct.usage`, ns) or v2 (`cpu.stat` usage_usec).
 */
export function cgroupCpuSeconds(pid: number, root = '/sys/fs/cgroup'): number {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((line) => /^\d+:[^:]*\bcpuacct\b[^:]*:/.test(line));
  if (v1) {
    const group = v1.slice(v1.indexOf(':', v1.indexOf(':') + 1) + 1);
    return Number(readFileSync(`${root}/cpuacct${group}/cpuacct.usage`, 'utf8').trim()) / 1e9;
  }
  const v2 = lines.find((line) => line.startsWith('0::'));
  if (!v2) throw new Error(`no cpu accounting cgroup for pid ${pid}`);
  const stat = readFileSync(`${root}${v2.slice(3)}/cpu.stat`, 'utf8');
  const usage = /^usage_usec (\d+)$/m.exec(stat);
  if (!usage) throw new Error(`no usage_usec in the cpu.stat of pid ${pid}`);
  return Number(usage[1]) / 1e6;
}
