import { createSilentLogger } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { UploadSessionBusyError } from '../errors.js';
import { listOrEmpty } from './links.js';
import { uploadLeasePath, uploadPath, uploadStatePath } from './paths.js';
import { TestClock } from './test-support/fixtures.js';
import { UploadLeaseLostError, UploadLeases } from './upload-lease.js';

const TTL = 60_000;

/** Two "nodes": lease tables of their own over one storage, as two processes sharing a bucket. */
function nodes() {
  const clock = new TestClock();
  const driver = new MemoryDriver({ clock: clock.read });
  const make = () =>
    new UploadLeases({ driver, logger: createSilentLogger(), clock: clock.read, ttlMs: TTL });
  return { clock, driver, a: make(), b: make() };
}

const size = () => 0;

describe('upload session leases', () => {
  it('lets one request of a process hold a session; a second is refused until the first releases', async () => {
    const { a } = nodes();
    const first = await a.acquire('app', 's1', () => 42);
    const refused = await a.acquire('app', 's1', size).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UploadSessionBusyError);
    expect((refused as UploadSessionBusyError).currentSize).toBe(42);
    await first.release();
    const second = await a.acquire('app', 's1', size);
    await second.release();
  });

  it('reserves the session before its first storage call: of simultaneous requests exactly one gets it', async () => {
    const { a } = nodes();
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => a.acquire('app', 's1', size)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  });

  it('excludes another node through storage, and across nodes too exactly one of simultaneous takers wins', async () => {
    const { a, b } = nodes();
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 4 }, () => a.acquire('app', 's1', size)),
      ...Array.from({ length: 4 }, () => b.acquire('app', 's1', size)),
    ]);
    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(UploadSessionBusyError);
    }
    await (
      winners[0] as PromiseFulfilledResult<Awaited<ReturnType<UploadLeases['acquire']>>>
    ).value.release();
    expect(await b.held('app', 's1')).toBe(false);
    const next = await b.acquire('app', 's1', size);
    expect(next.generation).toBe(1);
    await next.release();
  });

  it('lets another node take over a lease not renewed within its time to live, and fences the old holder', async () => {
    const { clock, driver, a, b } = nodes();
    const stale = await a.acquire('app', 's1', size);
    await stale.quiesce(); // its process "stalls": no renewals any more
    clock.advance(TTL - 1);
    await expect(b.acquire('app', 's1', size)).rejects.toBeInstanceOf(UploadSessionBusyError);
    clock.advance(2);
    const taken = await b.acquire('app', 's1', size);
    expect(taken.generation).toBe(stale.generation + 1);
    // The older generation is gone, and its holder learns it lost the lease before publishing.
    expect(await listOrEmpty(driver, uploadPath('app', 's1'))).toEqual([uploadLeasePath('app', 's1', 2)]);
    await expect(stale.assertHeld()).rejects.toBeInstanceOf(UploadLeaseLostError);
    expect(stale.signal.aborted).toBe(true);
    await taken.assertHeld();
    // Releasing the stale lease never deletes the newer one.
    await stale.release();
    await taken.assertHeld();
    await taken.release();
  });

  it('renews while held, so a long request keeps its lease', async () => {
    const clock = new TestClock();
    const driver = new MemoryDriver({ clock: clock.read });
    const logger = createSilentLogger();
    const a = new UploadLeases({ driver, logger, clock: clock.read, ttlMs: 30 });
    const b = new UploadLeases({ driver, logger, clock: clock.read, ttlMs: 30 });
    const lease = await a.acquire('app', 's1', size);
    for (let step = 0; step < 5; step += 1) {
      clock.advance(9);
      await new Promise((resolve) => setTimeout(resolve, 15)); // a renewal runs every 10 ms
      await expect(b.acquire('app', 's1', size)).rejects.toBeInstanceOf(UploadSessionBusyError);
    }
    await lease.assertHeld();
    await lease.release();
  });

  it('finds out it stalled past its lease when a renewal comes too late, and stops', async () => {
    const clock = new TestClock();
    const driver = new MemoryDriver({ clock: clock.read });
    const leases = new UploadLeases({ driver, logger: createSilentLogger(), clock: clock.read, ttlMs: 30 });
    const lease = await leases.acquire('app', 's1', size);
    clock.advance(31); // the clock moved past the lease before the next renewal ran
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lease.signal.aborted).toBe(true);
    await expect(lease.assertHeld()).rejects.toBeInstanceOf(UploadLeaseLostError);
    await lease.release();
  });

  it('takes over at once the lease of a process of this host that died', async () => {
    const { driver, b } = nodes();
    await driver.putContent(uploadStatePath('app', 's1'), Buffer.from('{}'));
    const dead = { host: b.holder.host, pid: 2 ** 22 - 3, started: 1 };
    await driver.putContent(
      uploadLeasePath('app', 's1', 7),
      Buffer.from(JSON.stringify({ token: 't', renewedAt: Date.now() + TTL, ttlMs: TTL, holder: dead })),
    );
    const lease = await b.acquire('app', 's1', size);
    expect(lease.generation).toBe(8);
    await lease.release();
  });

  it('never judges a live process of this host, nor another host, dead', async () => {
    const { driver, b } = nodes();
    for (const [generation, holder] of [
      [
        1,
        { host: b.holder.host, pid: process.pid, ...(b.holder.started ? { started: b.holder.started } : {}) },
      ],
      [2, { host: 'some-other-node', pid: 2 ** 22 - 3 }],
    ] as const) {
      await driver.putContent(
        uploadLeasePath('app', `s${generation}`, generation),
        Buffer.from(
          JSON.stringify({ token: 't', renewedAt: new TestClock().now.getTime(), ttlMs: TTL, holder }),
        ),
      );
      await expect(b.acquire('app', `s${generation}`, size)).rejects.toBeInstanceOf(UploadSessionBusyError);
    }
  });
});
