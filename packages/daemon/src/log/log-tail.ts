import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const CHUNK = 64 * 1024;

/** The last `count` lines of a file (without their newlines); empty when it does not exist. */
export async function readLastLines(file: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return [];
  try {
    const { size } = await handle.stat();
    let position = size;
    let buffer = Buffer.alloc(0);
    // Read backwards until there are more newlines than lines wanted (or the file starts).
    while (position > 0) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      buffer = Buffer.concat([chunk, buffer]);
      if (countNewlines(buffer) > count) break;
    }
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

export interface FollowOptions {
  /** Start at this byte offset (the size the caller already printed up to). */
  readonly from: number;
  readonly signal: AbortSignal;
  /** How often to look for new bytes (default 250 ms). */
  readonly intervalMs?: number;
}

/**
 * Yields complete lines appended to `file` from `from` on, until `signal` aborts. A file that
 * shrinks or is replaced (a rotation at daemon start, `glci system logs clean`) is read again from
 * its start; a file that does not exist yet is waited for.
 */
export async function* followLines(file: string, options: FollowOptions): AsyncGenerator<string> {
  let offset = options.from;
  let inode: number | undefined;
  let partial = '';
  const interval = options.intervalMs ?? 250;
  while (!options.signal.aborted) {
    const info = await stat(file).catch(() => undefined);
    if (info) {
      if ((inode !== undefined && info.ino !== inode) || info.size < offset) {
        offset = 0;
        partial = '';
      }
      inode = info.ino;
      if (info.size > offset) {
        const handle = await open(file, 'r');
        try {
          const chunk = Buffer.alloc(info.size - offset);
          const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
          offset += bytesRead;
          const lines = (partial + chunk.subarray(0, bytesRead).toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          yield* lines;
        } finally {
          await handle.close();
        }
        continue;
      }
    }
    await sleep(interval, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

function countNewlines(buffer: Buffer): number {
  let count = 0;
  for (let index = buffer.indexOf(10); index !== -1; index = buffer.indexOf(10, index + 1)) count++;
  return count;
}
