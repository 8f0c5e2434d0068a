import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type ManagedProcess, pushTinyImage, startGlciRegistry, waitFor } from '@glci/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createCliSandbox } from '../../test-support/run-glci.js';

/**
 * The crash test: `glci registry serve` is killed with SIGKILL in the middle of large streamed
 * pushes, then restarted on the same storage directory. Everything committed before is served,
 * nothing partial is visible, the interrupted session can be resumed, and the same push succeeds.
 */
const MiB = 1024 * 1024;
/** The large blob: one random MiB repeated, so any offset's bytes can be produced again. */
const unit = randomBytes(MiB);
const TOTAL_MIB = 160;
const TOTAL = TOTAL_MIB * MiB;
const bigDigest = (() => {
  const hash = createHash('sha256');
  for (let i = 0; i < TOTAL_MIB; i++) hash.update(unit);
  return `sha256:${hash.digest('hex')}`;
})();
const sha256 = (content: string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

const storage = mkdtempSync(path.join(os.tmpdir(), 'glci-crash-'));
const sandbox = createCliSandbox();
const processes: ManagedProcess[] = [];
afterAll(async () => {
  for (const child of processes) await child.kill('SIGKILL');
  rmSync(storage, { recursive: true, force: true });
  sandbox.remove();
});

async function serve(): Promise<{ url: string; child: ManagedProcess }> {
  const running = await startGlciRegistry(['--storage', storage], {
    PATH: process.env.PATH ?? '',
    HOME: sandbox.home,
  });
  processes.push(running.process);
  return { url: running.url, child: running.process };
}

/**
 * Streams `length` bytes of the big blob from `offset` (chunked encoding, 1 MiB writes), and calls
 * `onProgress` with the bytes handed to the socket so far. Resolves with the status, or with the
 * error when the server goes away.
 */
function streamBig(
  url: string,
  method: string,
  offset: number,
  length: number,
  headers: Record<string, string>,
  onProgress?: (sent: number) => void,
): Promise<{ status?: number; location?: string; range?: string; error?: Error }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, {
      method,
      headers: { 'Content-Type': 'application/octet-stream', ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          location: res.headers.location,
          range: res.headers.range,
        }),
      );
    });
    req.on('error', (error) => resolve({ error }));
    let sent = 0;
    const writeMore = () => {
      while (sent < length) {
        const start = (offset + sent) % MiB;
        const size = Math.min(MiB - start, length - sent);
        const chunk = unit.subarray(start, start + size);
        sent += size;
        onProgress?.(sent);
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      req.end();
    };
    writeMore();
  });
}

describe('glci registry serve, killed with SIGKILL mid-push', { timeout: 240_000 }, () => {
  it('serves everything committed, shows nothing partial, resumes the session, and the same push succeeds', async () => {
    const first = await serve();
    // Committed before the crash: a config, a layer and a tagged manifest.
    const { manifest, layer } = await pushTinyImage(first.url, 'crash/app', 'committed', {
      layer: 'a committed layer',
    });

    // Two large pushes in flight: a streamed PATCH into a session, and a monolithic POST ?digest=.
    const started = await fetch(`${first.url}/v2/crash/app/blobs/uploads/`, { method: 'POST' });
    const relative = started.headers.get('location') as string;
    const location = new URL(relative, first.url).toString();
    let patched = 0;
    let posted = 0;
    const patch = streamBig(location, 'PATCH', 0, TOTAL, {}, (sent) => {
      patched = sent;
    });
    const post = streamBig(
      `${first.url}/v2/crash/app/blobs/uploads/?digest=${bigDigest}`,
      'POST',
      0,
      TOTAL,
      { 'Content-Length': String(TOTAL) },
      (sent) => {
        posted = sent;
      },
    );
    await waitFor(
      'both pushes to be well under way',
      async () => patched >= 48 * MiB && posted >= 48 * MiB,
      60_000,
      5,
    );
    expect(patched).toBeLessThan(TOTAL);
    expect(posted).toBeLessThan(TOTAL);
    await first.child.kill('SIGKILL');
    const [patchResult, postResult] = await Promise.all([patch, post]);
    expect(patchResult.status).toBeUndefined();
    expect(postResult.status).toBeUndefined();

    const second = await serve();
    // Everything committed is served.
    const committed = await fetch(`${second.url}/v2/crash/app/manifests/committed`);
    expect(committed.status).toBe(200);
    expect(await committed.text()).toBe(manifest);
    expect(await (await fetch(`${second.url}/v2/crash/app/blobs/${sha256(layer)}`)).text()).toBe(layer);
    expect(await (await fetch(`${second.url}/v2/crash/app/tags/list`)).json()).toEqual({
      name: 'crash/app',
      tags: ['committed'],
    });
    // Nothing partial: the big blob is not in the repository, nor anywhere (a mount without from
    // would find it), nor in the content store on disk.
    expect((await fetch(`${second.url}/v2/crash/app/blobs/${bigDigest}`, { method: 'HEAD' })).status).toBe(
      404,
    );
    const mount = await fetch(`${second.url}/v2/crash/other/blobs/uploads/?mount=${bigDigest}`, {
      method: 'POST',
    });
    expect(mount.status).toBe(202);
    expect(existsSync(path.join(storage, 'v1/blobs/sha256', bigDigest.slice(7, 9), bigDigest.slice(7)))).toBe(
      false,
    );

    // The interrupted session survived the restart: resume it from where it stands and finish it.
    const resumeAt = new URL(relative, second.url).toString();
    const status = await fetch(resumeAt);
    expect(status.status).toBe(204);
    const range = /^0-(\d+)$/.exec(status.headers.get('range') ?? '');
    expect(range).not.toBeNull();
    const durable = Number(range?.[1]) + (Number(range?.[1]) === 0 ? 0 : 1);
    expect(durable).toBeLessThan(TOTAL);
    const resumed = await streamBig(resumeAt, 'PATCH', durable, TOTAL - durable, {
      'Content-Range': `${durable}-${TOTAL - 1}`,
      'Content-Length': String(TOTAL - durable),
    });
    expect(resumed.status).toBe(202);
    expect(resumed.range).toBe(`0-${TOTAL - 1}`);
    const closed = await fetch(`${resumeAt}&digest=${bigDigest}`, { method: 'PUT' });
    expect(closed.status).toBe(201);

    // And the same monolithic push now succeeds, in another repository.
    const again = await streamBig(
      `${second.url}/v2/crash/again/blobs/uploads/?digest=${bigDigest}`,
      'POST',
      0,
      TOTAL,
      {
        'Content-Length': String(TOTAL),
      },
    );
    expect(again.status).toBe(201);
    const pulled = await fetch(`${second.url}/v2/crash/again/blobs/${bigDigest}`);
    const hash = createHash('sha256');
    for await (const chunk of pulled.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(`sha256:${hash.digest('hex')}`).toBe(bigDigest);
    await second.child.kill('SIGTERM');
    expect(second.child.child.exitCode).toBe(0);
  });
});
