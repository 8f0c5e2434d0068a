import { readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface LogRotationPolicy {
  /** Rotate when the log is larger than this many bytes; 0 never rotates. */
  readonly maxSize: number;
  /** Rotated logs kept (`daemon.log.1` … `.N`); 0 keeps none. */
  readonly maxFiles: number;
}

/** A daemon log or one of its rotations. */
export interface LogFile {
  readonly path: string;
  readonly size: number;
  /** 0 for the current log, N for `<log>.N`. */
  readonly generation: number;
}

/**
 * Rotates the daemon log at start-up, as the docs say: when `daemon.log` exceeds `maxSize` it
 * becomes `daemon.log.1`, older ones shift up to `.maxFiles`, and anything beyond that (also left
 * over from a larger `max_log_files`) is removed. Returns whether it rotated.
 */
export async function rotateLog(file: string, policy: LogRotationPolicy): Promise<boolean> {
  if (policy.maxSize <= 0) return false;
  const info = await stat(file).catch(() => undefined);
  if (!info || info.size <= policy.maxSize) return false;
  for (const old of await logFiles(file)) {
    if (old.generation >= policy.maxFiles && old.generation > 0) await unlink(old.path);
  }
  if (policy.maxFiles === 0) {
    await unlink(file);
    return true;
  }
  for (let generation = policy.maxFiles - 1; generation >= 1; generation--) {
    await rename(`${file}.${generation}`, `${file}.${generation + 1}`).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      },
    );
  }
  await rename(file, `${file}.1`);
  return true;
}

/** The log and its rotations that exist, current first. */
export async function logFiles(file: string): Promise<LogFile[]> {
  const directory = path.dirname(file);
  const base = path.basename(file);
  const found: LogFile[] = [];
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    let generation: number;
    if (name === base) generation = 0;
    else if (name.startsWith(`${base}.`) && /^[1-9][0-9]*$/.test(name.slice(base.length + 1))) {
      generation = Number(name.slice(base.length + 1));
    } else continue;
    const info = await stat(path.join(directory, name)).catch(() => undefined);
    if (info?.isFile()) found.push({ path: path.join(directory, name), size: info.size, generation });
  }
  return found.sort((a, b) => a.generation - b.generation);
}
