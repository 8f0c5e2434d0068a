import { describe, expect, it } from 'vitest';
import { type JobEvent, JobEvents } from './job-events.js';

describe('JobEvents', () => {
  it('delivers per type and as a whole', () => {
    const events = new JobEvents();
    const traces: number[] = [];
    const all: string[] = [];
    events.on('trace', (event) => traces.push(event.offset));
    events.on('event', (event) => all.push(event.type));
    events.publish({ type: 'trace', jobId: 1, offset: 0, chunk: Buffer.from('a') });
    events.publish({ type: 'state', jobId: 1, state: 'running', previous: 'pending' });
    events.publish({ type: 'trace-reset', jobId: 1 });
    events.publish({ type: 'trace-verified', jobId: 1, checksum: 'crc32:00000000', bytesize: 0 });
    expect(traces).toEqual([0]);
    expect(all).toEqual(['trace', 'state', 'trace-reset', 'trace-verified']);
  });

  it('iterates one job until its final state, buffering while the consumer is busy', async () => {
    const events = new JobEvents();
    const seen: JobEvent[] = [];
    const done = (async () => {
      for await (const event of events.watch(2)) seen.push(event);
    })();
    await Promise.resolve();
    events.publish({ type: 'state', jobId: 2, state: 'running', previous: 'pending' });
    events.publish({ type: 'trace', jobId: 3, offset: 0, chunk: Buffer.from('other job') });
    events.publish({ type: 'trace', jobId: 2, offset: 0, chunk: Buffer.from('mine') });
    events.publish({ type: 'state', jobId: 2, state: 'success', previous: 'running' });
    await done;
    expect(seen.map((event) => event.type)).toEqual(['state', 'trace', 'state']);
    expect(events.listenerCount('event')).toBe(0);
  });

  it('stops iterating when the signal aborts', async () => {
    const events = new JobEvents();
    const controller = new AbortController();
    const done = (async () => {
      const seen: JobEvent[] = [];
      for await (const event of events.watch(1, { signal: controller.signal })) seen.push(event);
      return seen;
    })();
    await Promise.resolve();
    controller.abort();
    expect(await done).toEqual([]);
    expect(events.listenerCount('event')).toBe(0);
  });
});
