import { describe, expect, it } from 'vitest';
import { FillQueue } from './fill-queue.js';

/** A job that runs until `release()` and records that it started. */
function gate() {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const started: string[] = [];
  const job =
    (name: string) =>
    async (signal: AbortSignal): Promise<void> => {
      started.push(name);
      await Promise.race([
        released,
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      ]);
    };
  return { job, started, release: () => release() };
}

describe('FillQueue', () => {
  it('runs at most `concurrency` jobs, one per key, and refuses beyond `limit` waiting', async () => {
    const queue = new FillQueue({ concurrency: 2, limit: 1 });
    const { job, started, release } = gate();
    expect(queue.enqueue('a', job('a'))).toBe('queued');
    expect(queue.enqueue('a', job('a again'))).toBe('duplicate');
    expect(queue.enqueue('b', job('b'))).toBe('queued');
    expect(queue.enqueue('c', job('c'))).toBe('queued');
    expect(queue.enqueue('d', job('d'))).toBe('full');
    expect(started).toEqual(['a', 'b']);
    expect(queue.pending).toBe(3);
    expect(queue.has('c')).toBe(true);
    release();
    await queue.idle();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(queue.pending).toBe(0);
    // A finished key may be queued again.
    expect(queue.enqueue('a', async () => {})).toBe('queued');
    await queue.idle();
  });

  it('keeps going after a job fails', async () => {
    const queue = new FillQueue({ concurrency: 1, limit: 4 });
    const ran: string[] = [];
    queue.enqueue('bad', async () => {
      ran.push('bad');
      throw new Error('boom');
    });
    queue.enqueue('good', async () => {
      ran.push('good');
    });
    await queue.idle();
    expect(ran).toEqual(['bad', 'good']);
  });

  it('close() aborts the running jobs, drops the waiting ones and refuses new ones', async () => {
    const queue = new FillQueue({ concurrency: 1, limit: 4 });
    const { job, started } = gate();
    queue.enqueue('a', job('a'));
    queue.enqueue('b', job('b'));
    await queue.close();
    expect(started).toEqual(['a']);
    expect(queue.pending).toBe(0);
    expect(queue.enqueue('c', job('c'))).toBe('closed');
    await queue.idle();
  });
});
