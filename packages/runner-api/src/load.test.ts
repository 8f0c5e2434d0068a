import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FakeRunner, type Payload } from './test-support/fake-runner.js';
import { jobSpec, startApi } from './test-support/harness.js';

const RUNNERS = 200;
const JOBS = 400;

/**
 * 200 simulated runners long-poll at once on 127.0.0.1 while jobs arrive in bursts; each runner
 * runs what it gets (two-phase commit, three trace patches plus a duplicate, final update with
 * crc32). The run ends by itself once every job is final, then proves that no job was lost or
 * handed out twice, and that every stored log is exactly what its runner sent.
 */
describe('load', () => {
  it(`serves ${RUNNERS} concurrent long polls and trace patches without losing or duplicating a job`, async () => {
    await using h = await startApi({ longPollMs: 30_000 });
    const claims = new Map<number, number[]>();
    const stop = new AbortController();
    let finished = 0;
    let failures = 0;
    const expectedLog = (id: number) => [`job ${id} starting\n`, `${'x'.repeat(200)}\n`, `job ${id} done\n`];

    const runners = Array.from({ length: RUNNERS }, (_, index) => {
      const { token } = h.api.registerRunner({ description: `sim-${index}` });
      return new FakeRunner(h.url, token);
    });

    const loops = runners.map(async (runner, index) => {
      // Bounded: a runner never polls more than JOBS times.
      for (let polls = 0; polls < JOBS && !stop.signal.aborted; polls++) {
        let payload: Payload | undefined;
        try {
          payload = await runner.requestJob({ signal: stop.signal });
        } catch (error) {
          if (stop.signal.aborted) return;
          throw error;
        }
        if (!payload) continue;
        claims.set(payload.id, [...(claims.get(payload.id) ?? []), index]);
        const chunks = expectedLog(payload.id);
        const result = await runner.runJob(payload, chunks);
        // A duplicate of the first patch after the fact is refused (job is final), never appended.
        const late = await runner.patchTrace(payload.id, payload.token, Buffer.from(chunks[0]!), 0);
        if (result.finalStatus !== 200 || late.status !== 403) failures++;
        finished++;
        if (finished === JOBS) stop.abort();
      }
    });

    // Let the polls arrive and be held, then enqueue in bursts while they wait.
    await tick();
    const enqueued: number[] = [];
    for (let burst = 0; burst < JOBS / 50; burst++) {
      for (let i = 0; i < 50; i++) enqueued.push(h.api.enqueue(jobSpec({ name: `job-${burst}-${i}` })).id);
      await tick();
    }
    await Promise.all(loops);

    expect(failures).toBe(0);
    expect(finished).toBe(JOBS);
    expect([...claims.keys()].sort((a, b) => a - b)).toEqual(enqueued);
    const duplicated = [...claims.entries()].filter(([, by]) => by.length !== 1);
    expect(duplicated).toEqual([]);
    for (const id of enqueued) {
      expect(h.api.job(id)?.state).toBe('success');
      expect(h.api.trace(id).toString()).toBe(expectedLog(id).join(''));
    }
    // Many runners really did take part.
    expect(new Set([...claims.values()].flat()).size).toBeGreaterThan(RUNNERS / 4);
  }, 120_000);
});
