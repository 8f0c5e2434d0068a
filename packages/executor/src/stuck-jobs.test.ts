import { describe, expect, it } from 'vitest';
import { StuckJobs } from './stuck-jobs.js';

describe('StuckJobs', () => {
  it('keeps jobs waiting until they are given up, then fails them as stuck', async () => {
    const stuck = new StuckJobs();
    const first = stuck.wait('a', new AbortController().signal);
    const second = stuck.wait('b', new AbortController().signal);
    expect(stuck.size).toBe(2);
    stuck.releaseAll();
    expect(await first).toEqual({ state: 'failed', failureReason: 'stuck_or_timeout_failure' });
    expect(await second).toEqual({ state: 'failed', failureReason: 'stuck_or_timeout_failure' });
    expect(stuck.size).toBe(0);
  });

  it('ends a waiting job as canceled when its pipeline is canceled', async () => {
    const stuck = new StuckJobs();
    const abort = new AbortController();
    const waiting = stuck.wait('a', abort.signal);
    abort.abort();
    expect(await waiting).toEqual({ state: 'canceled' });
    expect(stuck.size).toBe(0);
    const late = new AbortController();
    late.abort();
    expect(await stuck.wait('b', late.signal)).toEqual({ state: 'canceled' });
  });
});
