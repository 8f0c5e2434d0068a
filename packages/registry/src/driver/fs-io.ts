import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { lstat, open } from 'node:fs/promises';

/** Small file-system helpers of `FsDriver`. */

/** The whole file when it is at most `limit` bytes, else `undefined` (read it asynchronously). */
export function readSmallFileSync(file: string, limit: number): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > limit) return undefined;
    const content = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const count = readSync(fd, content, read, size - read, read);
      if (count === 0) break;
      read += count;
    }
    return read === size ? content : content.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** fsync of a file or a directory (a directory's entries: a rename into it). */
export async function syncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
