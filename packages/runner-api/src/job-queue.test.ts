import { describe, expect, it } from 'vitest';
import { InvalidJobStateError, NotFoundError } from './errors.js';
import { type JobRecord, type JobState, MemoryJobQueue } from './job-queue.js';
import { MemoryRunnerStore } from './runner-store.js';
import { type JobSpecInput, jobSpecSchema } from './schemas.js';
import { jobSpec } from './test-support/harness.js';
import { TokenIssuer } from './tokens.js';

const clock = { now: () => 0 };
const spec = (overrides: Partial<JobSpecInput> = {}) => jobSpecSchema.parse(jobSpec(overrides));

function setup() {
  const queue = new MemoryJobQueue({ clock });
  const runners = new MemoryRunnerStore({ tokens: new TokenIssuer('q'.repeat(32)), clock });
  const changes: [number, JobState | undefined, JobState][] = [];
  queue.subscribe((job, previous) => changes.push([job.id, previous, job.state]));
  return { queue, runners, changes };
}

describe('MemoryJobQueue', () => {
  it('hands jobs out FIFO, each exactly once', async () => {
    const { queue, runners } = setup();
    const { runner } = runners.register({});
    const a = queue.enqueue(spec());
    const b = queue.enqueue(spec());
    expect((await queue.claim(runner))?.id).toBe(a.id);
    expect((await queue.claim(runner))?.id).toBe(b.id);
    expect(await queue.claim(runner)).toBeUndefined();
  });

  it('waits for dependencies to finish before handing a job out', async () => {
    const { queue, runners } = setup();
    const { runner } = runners.register({});
    const first = queue.enqueue(spec());
    const second = queue.enqueue(spec({ dependencies: [first.id] }));
    expect((await queue.claim(runner))?.id).toBe(first.id);
    expect(await queue.claim(runner)).toBeUndefined();
    queue.update(first.id, { state: 'failed', exitCode: 1 });
    expect((await queue.claim(runner))?.id).toBe(second.id);
    expect(() => queue.enqueue(spec({ dependencies: [999] }))).toThrow(NotFoundError);
    expect(() => queue.enqueue(spec({ dependencies: [first.id], project: { path: 'other/p' } }))).toThrow(
      /another project/,
    );
  });

  it('wakes a waiting claim when a matching job arrives, and only a matching one', async () => {
    const { queue, runners } = setup();
    const { runner } = runners.register({ tags: ['docker'] });
    const waiting = queue.claim(runner, { waitMs: 60_000 });
    queue.enqueue(spec());
    const tagged = queue.enqueue(spec({ tags: ['docker'] }));
    expect((await waiting)?.id).toBe(tagged.id);
  });

  it('ends a waiting claim on abort or after the hold', async () => {
    const { queue, runners } = setup();
    const { runner } = runners.register({});
    const controller = new AbortController();
    const waiting = queue.claim(runner, { waitMs: 60_000, signal: controller.signal });
    controller.abort();
    expect(await waiting).toBeUndefined();
    expect(await queue.claim(runner, { waitMs: 1 })).toBeUndefined();
    const job = queue.enqueue(spec());
    expect(queue.get(job.id)?.state).toBe('pending');
    const paused = runners.register({ paused: true }).runner;
    expect(await queue.claim(paused)).toBeUndefined();
  });

  it('puts a released job back at the front', async () => {
    const { queue, runners } = setup();
    const { runner } = runners.register({});
    const a = queue.enqueue(spec());
    queue.enqueue(spec());
    await queue.claim(runner);
    const version = queue.lastUpdate;
    queue.release(a.id);
    expect(queue.lastUpdate).not.toBe(version);
    expect((await queue.claim(runner))?.id).toBe(a.id);
  });

  it('applies the state machine', async () => {
    const { queue, runners, changes } = setup();
    const { runner } = runners.register({});
    const job = queue.enqueue(spec());
    expect(() => queue.update(job.id, { state: 'success' })).toThrow(InvalidJobStateError);
    await queue.claim(runner);
    expect(queue.update(job.id, { state: 'running' }).state).toBe('running');
    const done: JobRecord = queue.update(job.id, { state: 'failed', failureReason: 'job_execution_timeout' });
    expect(done).toMatchObject({ state: 'failed', failureReason: 'job_execution_timeout' });
    expect(queue.update(job.id, { state: 'failed' }).state).toBe('failed');
    expect(() => queue.update(job.id, { state: 'running' })).toThrow(InvalidJobStateError);
    expect(queue.cancel(job.id).state).toBe('failed');
    expect(() => queue.update(42, { state: 'running' })).toThrow(NotFoundError);
    expect(changes).toEqual([
      [job.id, undefined, 'pending'],
      [job.id, 'pending', 'running'],
      [job.id, 'running', 'failed'],
    ]);
  });

  it('turns a graceful cancel into canceled when the runner reports the end', async () => {
    const { queue, runners } = setup();
    const { runner } = runners.register({});
    const job = queue.enqueue(spec());
    await queue.claim(runner);
    expect(queue.cancel(job.id).state).toBe('canceling');
    expect(queue.cancel(job.id).state).toBe('canceling');
    expect(queue.update(job.id, { state: 'running' }).state).toBe('canceling');
    expect(queue.update(job.id, { state: 'failed', failureReason: 'job_canceled' }).state).toBe('canceled');
    expect(queue.update(job.id, { state: 'success' }).state).toBe('canceled');
    const other = queue.enqueue(spec());
    await queue.claim(runner);
    queue.cancel(other.id);
    expect(queue.cancel(other.id, { force: true }).state).toBe('canceled');
  });
});
