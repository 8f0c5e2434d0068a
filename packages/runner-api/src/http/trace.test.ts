import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner, type Payload } from '../test-support/fake-runner.js';
import { type Harness, jobSpec, startApi } from '../test-support/harness.js';

describe('PATCH /jobs/:id/trace', () => {
  let h: Harness;
  let runner: FakeRunner;
  let job: Payload;
  beforeEach(async () => {
    h = await startApi({ traceUpdateInterval: 5 });
    runner = new FakeRunner(h.url, h.api.registerRunner().token);
    h.api.enqueue(jobSpec());
    job = (await runner.requestJob())!;
    await runner.updateJob(job.id, job.token, { state: 'running' });
  });
  afterEach(() => h.close());

  const patch = (body: string, range: string | undefined, token = job.token, id: number | string = job.id) =>
    runner.call('PATCH', `jobs/${id}/trace`, {
      headers: {
        'JOB-TOKEN': token,
        'Content-Type': 'text/plain',
        ...(range ? { 'Content-Range': range } : {}),
      },
      body,
    });

  it('accepts contiguous patches with 202, Range and the update interval', async () => {
    const first = await patch('hello ', '0-5');
    expect(first.status).toBe(202);
    expect(first.headers.get('range')).toBe('0-6');
    expect(first.headers.get('x-gitlab-trace-update-interval')).toBe('5');
    expect(first.headers.get('job-status')).toBe('running');
    expect((await patch('world', '6-10')).headers.get('range')).toBe('0-11');
    expect(h.api.trace(job.id).toString()).toBe('hello world');
  });

  it('answers 416 with the stored length, and the runner resumes there', async () => {
    await patch('abc', '0-2');
    const gap = await patch('xyz', '10-12');
    expect(gap.status).toBe(416);
    expect(gap.headers.get('range')).toBe('0-3');
    expect(gap.json().message).toMatch(/416/);
    expect((await patch('def', '3-5')).status).toBe(202);
    expect(h.api.trace(job.id).toString()).toBe('abcdef');
  });

  it('is idempotent for re-sent patches', async () => {
    await patch('abc', '0-2');
    const again = await patch('abc', '0-2');
    expect(again.status).toBe(202);
    expect(again.headers.get('range')).toBe('0-3');
    expect(h.api.trace(job.id).toString()).toBe('abc');
  });

  it('refuses patches without or with a malformed Content-Range, and mismatched lengths', async () => {
    const missing = await patch('abc', undefined);
    expect(missing.status).toBe(400);
    expect(missing.json().message).toMatch(/Content-Range/);
    for (const range of ['abc', '5-2', '-1-3', '0-', 'bytes=0-2']) {
      expect((await patch('abc', range)).status).toBe(400);
    }
    expect((await patch('abc', '0-9')).status).toBe(416);
    expect(
      (
        await runner.call('PATCH', `jobs/${job.id}/trace`, {
          headers: { 'JOB-TOKEN': job.token, 'Content-Range': '0-0' },
        })
      ).status,
    ).toBe(400);
    expect(h.api.trace(job.id).length).toBe(0);
  });

  it('refuses wrong tokens, other jobs and finished jobs', async () => {
    expect((await patch('abc', '0-2', 'nope')).status).toBe(403);
    h.api.enqueue(jobSpec());
    const other = (await runner.requestJob())!;
    expect((await patch('abc', '0-2', job.token, other.id)).status).toBe(403);
    expect(h.api.trace(other.id).length).toBe(0);
    expect((await patch('abc', '0-2', job.token, 'x')).status).toBe(404);
    await runner.runJob(job, ['done']);
    const late = await patch('more', '4-7');
    expect(late.status).toBe(403);
    expect(late.headers.get('job-status')).toBe('success');
  });

  it('refuses oversized patches with 413', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const reply = await patch(big, `0-${big.length - 1}`);
    expect(reply.status).toBe(413);
    expect(h.api.trace(job.id).length).toBe(0);
  });
});
