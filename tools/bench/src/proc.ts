import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat after the command name, so that index 0 is the state (field 3 in
 * proc(5)): the name may itself hold spaces and parentheses, so the split starts after its last `)`.
 * Undefined when the process is gone.
 */
export function readProcStat(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * The `Name:   123 kB` lines of a /proc file (/proc/meminfo, /proc/<pid>/status) asked for, in bytes;
 * a name the file does not have is NaN. Undefined when the file cannot be read.
 */
export function readKibFields<Name extends string>(
  file: string,
  names: readonly Name[],
): Record<Name, number> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const fields = {} as Record<Name, number>;
  for (const name of names) {
    fields[name] = Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  }
  return fields;
}
