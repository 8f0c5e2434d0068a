import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PageCachePrimer, readMemoryInfo } from './page-cache-primer.js';

const MiB = 1024 * 1024;
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Free memory that stays at `free` whatever is written (as if something else freed as much). */
function fakeMemory(free: number) {
  return { read: () => ({ free, total: 64 * MiB }) };
}

function scratch(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-primer-test-'));
  roots.push(root);
  return path.join(root, 'ballast');
}

describe('readMemoryInfo', () => {
  it('reads free and total memory from /proc/meminfo', () => {
    const memory = readMemoryInfo();
    expect(memory?.total).toBeGreaterThan(64 * MiB);
    expect(memory!.free).toBeGreaterThan(0);
    expect(memory!.free).toBeLessThan(memory!.total);
  });
});

describe('PageCachePrimer', () => {
  it('writes ballast until free memory is down to what it keeps, in files of at most one segment', async () => {
    const directory = scratch();
    // Free memory shrinks by every ballast byte on disk, as the page cache would take it.
    const read = () => ({ free: 20 * MiB - ballastBytes(directory), total: 64 * MiB });
    const primer = new PageCachePrimer({
      directory,
      keepFree: 2 * MiB,
      minimumWrite: MiB,
      segmentBytes: 4 * MiB,
      maxBytes: 64 * MiB,
      memory: read,
    });
    expect(await primer.prime()).toBe(18 * MiB);
    const sizes = () =>
      readdirSync(directory)
        .map((name) => statSync(path.join(directory, name)).size)
        .sort((a, b) => a - b);
    expect(sizes()).toEqual([2 * MiB, 4 * MiB, 4 * MiB, 4 * MiB, 4 * MiB]);
    // Nothing to do while memory stays where it is; the files stay for the next group.
    expect(await primer.prime()).toBe(0);
    expect(sizes()).toHaveLength(5);
    expect(primer.written).toBe(18 * MiB);
    primer.dispose();
    expect(() => readdirSync(directory)).toThrow();
  });

  it('never writes more than its limit, and makes room by deleting its oldest files', async () => {
    const directory = scratch();
    const read = () => ({ free: 100 * MiB - ballastBytes(directory), total: 64 * MiB });
    const primer = new PageCachePrimer({
      directory,
      keepFree: 0,
      minimumWrite: MiB,
      segmentBytes: 4 * MiB,
      maxBytes: 8 * MiB,
      memory: read,
    });
    expect(await primer.prime()).toBe(8 * MiB);
    expect(readdirSync(directory).sort()).toEqual(['ballast-0', 'ballast-1']);
    // Still 92 MiB free: the oldest file goes to make room for a new one, which frees and takes as
    // much, so free memory did not drop and it stops there.
    expect(await primer.prime()).toBe(4 * MiB);
    expect(readdirSync(directory).sort()).toEqual(['ballast-1', 'ballast-2']);
  });

  it('stops as soon as a write no longer lowers free memory (the kernel is reclaiming)', async () => {
    const directory = scratch();
    const primer = new PageCachePrimer({
      directory,
      keepFree: 0,
      minimumWrite: MiB,
      segmentBytes: 4 * MiB,
      maxBytes: 64 * MiB,
      memory: fakeMemory(100 * MiB).read,
    });
    expect(await primer.prime()).toBe(4 * MiB);
    expect(readdirSync(directory)).toEqual(['ballast-0']);
  });

  it('does nothing where free memory cannot be read or the disk has no room', async () => {
    const unreadable = new PageCachePrimer({ directory: scratch(), memory: () => undefined });
    expect(await unreadable.prime()).toBe(0);
    const noRoom = new PageCachePrimer({
      directory: scratch(),
      maxBytes: 0,
      memory: fakeMemory(100 * MiB).read,
    });
    expect(await noRoom.prime()).toBe(0);
  });
});

/** Bytes in the ballast files under `directory` (0 before the first is made). */
function ballastBytes(directory: string): number {
  try {
    return readdirSync(directory).reduce((sum, name) => sum + statSync(path.join(directory, name)).size, 0);
  } catch {
    return 0;
  }
}
