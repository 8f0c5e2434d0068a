import { describe, expect, it, vi } from 'vitest';
import { type FetchProgress, FetchTracker } from './fetch-tracker.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
};

describe('FetchTracker', () => {
  it('runs at most `concurrency` fetches at once', async () => {
    const tracker = new FetchTracker({ concurrency: 2 });
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        tracker.run(`k${i}`, `fetch ${i}`, async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  it('fetches a key once however many ask for it while it runs', async () => {
    const tracker = new FetchTracker({ concurrency: 4 });
    const gate = deferred();
    const work = vi.fn(async () => {
      await gate.promise;
      return 'content';
    });
    const answers = Promise.all([
      tracker.run('same', 'x', work),
      tracker.run('same', 'x', work),
      tracker.run('same', 'x', work),
    ]);
    gate.resolve();
    expect(await answers).toEqual(['content', 'content', 'content']);
    expect(work).toHaveBeenCalledTimes(1);
    await tracker.run('same', 'x', work);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('reports a fetch that takes longer than slowAfterMs, and the end of every fetch', async () => {
    vi.useFakeTimers();
    try {
      const events: FetchProgress[] = [];
      let now = 0;
      const tracker = new FetchTracker({
        concurrency: 1,
        slowAfterMs: 1_000,
        onProgress: (e) => events.push(e),
        clock: () => now,
      });
      const gate = deferred();
      const slow = tracker.run('slow', 'acme/app:ci.yml', () => gate.promise);
      await vi.advanceTimersByTimeAsync(0);
      now = 1_500;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(events).toEqual([{ type: 'slow', what: 'acme/app:ci.yml', elapsedMs: 1_500 }]);
      now = 2_000;
      gate.resolve();
      await slow;
      expect(events.at(-1)).toEqual({ type: 'done', what: 'acme/app:ci.yml', elapsedMs: 2_000, ok: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes a failure on and reports it', async () => {
    const events: FetchProgress[] = [];
    const tracker = new FetchTracker({ concurrency: 1, onProgress: (e) => events.push(e) });
    await expect(tracker.run('k', 'x', async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(events).toMatchObject([{ type: 'done', ok: false }]);
  });
});
