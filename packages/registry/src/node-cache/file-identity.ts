import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Digest } from '../digest.js';

/**
 * What identifies one version of a file: the inode, its size, and its modification and status
 * change times in nanoseconds. Any write to the file changes `mtime` and `ctime`, and nobody can
 * set `ctime` back (utimes sets it to now), so a file whose identity equals the one recorded when
 * its bytes were hashed still holds those bytes. Since Linux 6.13 (multigrain timestamps, on ext4,
 * xfs, btrfs and tmpfs) a change made after the times were read by `stat` always gets a newer
 * `ctime`; older kernels stamp changes with a clock tick of a few milliseconds, so a write within
 * the same tick as the verification could go unseen. Nor can it see damage below the filesystem (a
 * disk flipping bits without an error), which the disk's and filesystem's own checks are for.
 */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

export function identityOf(stats: BigIntStats): FileIdentity {
  return {
    dev: stats.dev,
    ino: stats.ino,
    size: stats.size,
    mtimeNs: stats.mtimeNs,
    ctimeNs: stats.ctimeNs,
  };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return sameContentIdentity(a, b) && a.ctimeNs === b.ctimeNs;
}

/**
 * The same identity apart from `ctime`: what a `rename(2)` of an unchanged file preserves (some
 * filesystems, ext4 among them, stamp the renamed inode's `ctime`).
 */
export function sameContentIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

const HASH_READ_BYTES = 1024 * 1024;

/** Whether the first `size` bytes of the open file, and nothing after them, hash to `digest`. */
export async function fileMatchesDigest(handle: FileHandle, digest: Digest, size: number): Promise<boolean> {
  const hash = createHash(digest.algorithm);
  const buffer = Buffer.allocUnsafe(Math.min(HASH_READ_BYTES, Math.max(size, 1)));
  let position = 0;
  while (position < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) return false;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  const { bytesRead: beyond } = await handle.read(buffer, 0, 1, size);
  return beyond === 0 && hash.digest('hex') === digest.hex;
}
