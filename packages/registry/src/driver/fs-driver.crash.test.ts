import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createSilentLogger } from '@glci/config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDigest } from '../digest.js';
import type { BlobWriter } from '../store/contracts.js';
import { createNamespace } from '../store/namespace.js';
import { FsDriver } from './fs-driver.js';
import { PathNotFoundError } from './storage-driver.js';
import { patternChunk } from './test-support/pattern.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
const CHILD = path.join(import.meta.dirname, 'test-support/crash-writer.ts');
const BLOB_SIZE = 128 * 1024 * 1024;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'glci-crash-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Event {
  event: string;
  id?: string;
  bytes?: number;
  round?: number;
}

/** Runs the child until `until(event)` holds, then SIGKILLs it; returns the events seen. */
async function runAndKill(args: string[], until: (event: Event) => boolean): Promise<Event[]> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', CHILD, ...args],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const events: Event[] = [];
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    const event = JSON.parse(line) as Event;
    events.push(event);
    if (until(event)) {
      child.kill('SIGKILL');
      break;
    }
  }
  const status = await exited;
  if (status !== 'SIGKILL') throw new Error(`child ended with ${String(status)} before the kill: ${stderr}`);
  return events;
}

function expectedDigest(size: number) {
  const hash = createHash('sha256');
  for (let offset = 0; offset < size; offset += 8 * 1024 * 1024) {
    hash.update(patternChunk(offset, Math.min(8 * 1024 * 1024, size - offset)));
  }
  return makeDigest('sha256', hash.digest('hex'));
}

async function visibleFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.startsWith('~'));
}

describe('FsDriver under SIGKILL', () => {
  it('leaves nothing partial visible when killed mid-upload, and the same upload then succeeds', async () => {
    const digest = expectedDigest(BLOB_SIZE);
    // Killed in the middle of a "request", well after some were closed.
    const events = await runAndKill(['upload', root, 'crash/test', String(BLOB_SIZE)], (event) =>
      event.event === 'written' ? (event.bytes ?? 0) >= 70 * 1024 * 1024 + 512 * 1024 : false,
    );
    const id = events.find((event) => event.event === 'started')?.id as string;
    const closed = Math.max(0, ...events.filter((e) => e.event === 'closed').map((e) => e.bytes ?? 0));
    expect(closed).toBeGreaterThan(0);

    // After the "restart": a new driver and namespace over the same directory.
    const driver = new FsDriver({ root });
    const namespace = createNamespace({ driver, logger: createSilentLogger() });
    expect(await namespace.blobExists(digest)).toBe(false);
    expect((await namespace.catalog()).repositories).toEqual([]);
    // Only the session's own state and the killed writer's lease are visible; the received bytes
    // sit in the pending area.
    expect((await visibleFiles(root)).sort()).toEqual([
      `v1/repositories/crash/test/_uploads/${id}/lease-0000000001`,
      `v1/repositories/crash/test/_uploads/${id}/state.json`,
    ]);
    await expect(driver.stat(`/v1/repositories/crash/test/_uploads/${id}/data`)).rejects.toBeInstanceOf(
      PathNotFoundError,
    );

    const repository = await namespace.repository('crash/test');
    // The lease of the killed process is taken over at once (its process is gone), not after 60 s.
    const resumed = await repository.blobs.resumeUpload(id);
    // Everything written before the kill survived a process crash (it reached the page cache).
    expect(resumed.size).toBeGreaterThanOrEqual(closed);
    for (let offset = resumed.size; offset < BLOB_SIZE; offset += 8 * 1024 * 1024) {
      await resumed.write(patternChunk(offset, Math.min(8 * 1024 * 1024, BLOB_SIZE - offset)), {
        expectedOffset: offset,
      });
    }
    const descriptor = await resumed.commit(digest);
    expect(descriptor.size).toBe(BLOB_SIZE);
    expect((await repository.blobs.stat(digest)).size).toBe(BLOB_SIZE);

    // And the same push from scratch (a client that gave up on the session) succeeds too.
    const again = (await repository.blobs.createUpload()) as BlobWriter;
    for (let offset = 0; offset < BLOB_SIZE; offset += 8 * 1024 * 1024) {
      await again.write(patternChunk(offset, Math.min(8 * 1024 * 1024, BLOB_SIZE - offset)));
    }
    expect((await again.commit(digest)).size).toBe(BLOB_SIZE);
    const hash = createHash('sha256');
    for await (const chunk of await repository.blobs.open(digest)) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(digest.hex);
  }, 180_000);

  it('never shows a partly written file when killed during putContent', async () => {
    const size = 48 * 1024 * 1024;
    await runAndKill(['put', root, '/v1/file', String(size)], (event) => (event.round ?? 0) >= 3);
    // Killed right after round 3 was published, most likely while round 4 was being written.
    const driver = new FsDriver({ root });
    const content = Buffer.from(await driver.getContent('/v1/file'));
    expect(content.length).toBe(size);
    const first = content[0];
    expect(first === 0x41 || first === 0x42).toBe(true);
    expect(content.every((byte) => byte === first)).toBe(true);
    expect(await visibleFiles(root)).toEqual(['v1/file']);
    // Leftovers of the interrupted write are invisible and purged by GC's housekeeping.
    expect(await driver.reclaimTemporaryFiles(new Date(Date.now() + 1000))).toBeLessThanOrEqual(1);
    expect(await readdir(path.join(root, '~tmp'))).toEqual([]);
  }, 120_000);
});
