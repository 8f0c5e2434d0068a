import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32, formatChecksum } from '../crc32.js';
import type { JobEvent } from '../job-events.js';
import { FAILURE_REASONS } from '../payload.js';
import { FakeRunner } from '../test-support/fake-runner.js';
import { type Harness, jobSpec, startApi } from '../test-support/harness.js';

describe('POST /jobs/request and PUT /jobs/:id', () => {
  let h: Harness;
  let runner: FakeRunner;
  beforeEach(async () => {
    h = await startApi({ longPollMs: 0 });
    runner = new FakeRunner(h.url, h.api.registerRunner().token);
  });
  afterEach(() => h.close());

  it('answers 204 with X-GitLab-Last-Update when there is nothing, and 403 for a bad token', async () => {
    expect(await runner.requestJob()).toBeUndefined();
    expect(runner.lastUpdate).toBeDefined();
    const stranger = new FakeRunner(h.url, 'glrt-99_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await expect(stranger.requestJob()).rejects.toThrow(/403/);
  });

  it('hands out the exact payload the runner decodes', async () => {
    const dependency = h.api.enqueue(jobSpec({ name: 'prepare' }));
    await runner.runJob((await runner.requestJob())!, ['prep\n']);
    h.api.enqueue(
      jobSpec({
        image: { name: 'alpine:3.20', entrypoint: [''], docker: { platform: 'linux/amd64', user: '1000' } },
        services: ['redis:7', { name: 'postgres:16', alias: 'db,pg', variables: { POSTGRES_PASSWORD: 'x' } }],
        before_script: ['echo before'],
        after_script: ['echo after'],
        variables: {
          PLAIN: 'v',
          SECRET: { value: 'hunter22', masked: true },
          KEYFILE: { value: 'k', file: true },
        },
        artifacts: { paths: ['out/'], expire_in: '1 day', reports: { junit: 'report.xml' } },
        cache: { key: 'deps', paths: ['.cache/'], fallback_keys: ['main-deps'], policy: 'pull' },
        dependencies: [dependency.id],
        timeout: 600,
      }),
    );
    const payload = (await runner.requestJob())!;
    expect(payload).not.toHaveProperty('run');
    expect(payload.token).toMatch(/^glcbt-/);
    expect(payload.steps).toEqual([
      {
        name: 'script',
        script: ['echo before', 'echo hello'],
        timeout: 600,
        when: 'on_success',
        allow_failure: false,
      },
      { name: 'after_script', script: ['echo after'], timeout: 600, when: 'always', allow_failure: true },
    ]);
    expect(payload.image).toEqual({
      name: 'alpine:3.20',
      entrypoint: [''],
      executor_opts: { docker: { platform: 'linux/amd64', user: '1000' } },
    });
    expect(payload.services).toEqual([
      { name: 'redis:7' },
      { name: 'postgres:16', alias: 'db,pg', variables: [{ key: 'POSTGRES_PASSWORD', value: 'x' }] },
    ]);
    expect((payload.features as { failure_reasons: string[] }).failure_reasons).toEqual([...FAILURE_REASONS]);
    expect(payload.runner_info).toEqual({ timeout: 600 });
    expect(payload.git_info).toMatchObject({
      ref: 'main',
      depth: 20,
      refspecs: ['+refs/pipelines/7:refs/pipelines/7', '+refs/heads/main:refs/remotes/origin/main'],
    });
    expect(payload.git_info.repo_url).toBe(
      `${h.url.replace('//', `//gitlab-ci-token:${payload.token}@`)}/group/demo.git`,
    );
    expect(payload.cache).toEqual([
      {
        key: 'deps-non_protected',
        fallback_keys: ['main-deps-non_protected'],
        paths: ['.cache/'],
        policy: 'pull',
        untracked: false,
        when: 'on_success',
      },
    ]);
    expect(payload.artifacts).toEqual([
      expect.objectContaining({
        artifact_type: 'archive',
        artifact_format: 'zip',
        paths: ['out/'],
        expire_in: '1 day',
      }),
      expect.objectContaining({ artifact_type: 'junit', artifact_format: 'gzip', paths: ['report.xml'] }),
    ]);
    // The dependency has no artifacts, so the runner is not asked to download any.
    expect(payload.dependencies).toEqual([]);
    const variables = Object.fromEntries(payload.variables.map((v) => [v.key, v]));
    expect(variables.SECRET).toEqual({ key: 'SECRET', value: 'hunter22', public: true, masked: true });
    expect(variables.KEYFILE).toMatchObject({ file: true });
    expect(variables.CI_JOB_TOKEN).toMatchObject({ value: payload.token, masked: true, public: false });
    expect(variables.CI_PROJECT_DIR).toBeUndefined();
  });

  it('dispatches by tags: job tags ⊆ runner tags, untagged jobs only to run_untagged runners', async () => {
    const tagged = new FakeRunner(h.url, h.api.registerRunner({ tags: ['docker', 'linux'] }).token);
    const untaggedOnly = runner; // no tags → run_untagged
    const dockerJob = h.api.enqueue(jobSpec({ tags: ['docker'] }));
    const gpuJob = h.api.enqueue(jobSpec({ tags: ['gpu'] }));
    expect(await untaggedOnly.requestJob()).toBeUndefined();
    expect((await tagged.requestJob())?.id).toBe(dockerJob.id);
    expect(await tagged.requestJob()).toBeUndefined();
    const plain = h.api.enqueue(jobSpec());
    expect(await tagged.requestJob()).toBeUndefined();
    expect((await untaggedOnly.requestJob())?.id).toBe(plain.id);
    expect(h.api.job(gpuJob.id)?.state).toBe('pending');
  });

  it('runs the two-phase commit, verifies the final checksum and emits events', async () => {
    const events: JobEvent[] = [];
    h.api.events.on('event', (event) => events.push(event));
    const job = h.api.enqueue(jobSpec());
    const payload = (await runner.requestJob())!;
    expect(payload.id).toBe(job.id);
    const first = await runner.updateJob(job.id, payload.token, { state: 'running' });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-gitlab-trace-update-interval')).toBe('3');
    const again = await runner.updateJob(job.id, payload.token, { state: 'running' });
    expect(again.status).toBe(200);
    expect(again.headers.get('job-status')).toBe('running');

    const result = await runner.runJob(payload, ['line 1\n', 'line 2\n'], { state: 'failed', exit_code: 3 });
    expect(result.finalStatus).toBe(200);
    expect(h.api.job(job.id)).toMatchObject({
      state: 'failed',
      failureReason: 'script_failure',
      exitCode: 3,
    });
    expect(h.api.trace(job.id).toString()).toBe('line 1\nline 2\n');
    expect(events.map((e) => e.type)).toEqual([
      'state',
      'state',
      'trace',
      'trace',
      'trace-verified',
      'state',
    ]);
    expect(events.at(-2)).toEqual({
      type: 'trace-verified',
      jobId: job.id,
      checksum: formatChecksum(crc32(Buffer.from('line 1\nline 2\n'))),
      bytesize: 14,
    });
    // A re-sent final update is idempotent; a contradicting one is refused.
    expect((await runner.updateJob(job.id, payload.token, { state: 'failed' })).status).toBe(200);
    const contradiction = await runner.updateJob(job.id, payload.token, { state: 'success' });
    expect(contradiction.status).toBe(403);
    expect(contradiction.headers.get('job-status')).toBe('failed');
  });

  it('answers 412 when the final checksum or size does not match, then accepts the full re-send', async () => {
    h.api.enqueue(jobSpec());
    const payload = (await runner.requestJob())!;
    await runner.updateJob(payload.id, payload.token, { state: 'running' });
    // A chunk the server stored differently from what the runner believes it sent.
    await runner.patchTrace(payload.id, payload.token, Buffer.from('garbled'), 0);
    const wrong = await runner.updateJob(payload.id, payload.token, {
      state: 'success',
      output: { checksum: formatChecksum(crc32(Buffer.from('correct'))), bytesize: 7 },
    });
    expect(wrong.status).toBe(412);
    const size = await runner.updateJob(payload.id, payload.token, {
      state: 'success',
      output: { checksum: formatChecksum(crc32(Buffer.from('garbled'))), bytesize: 8 },
    });
    expect(size.status).toBe(412);
    const reset = await runner.patchTrace(payload.id, payload.token, Buffer.from('correct'), 0);
    expect(reset.status).toBe(202);
    const ok = await runner.updateJob(payload.id, payload.token, {
      state: 'success',
      output: { checksum: formatChecksum(crc32(Buffer.from('correct'))), bytesize: 7 },
    });
    expect(ok.status).toBe(200);
    expect(h.api.trace(payload.id).toString()).toBe('correct');
  });

  it('starts the log afresh on the re-send after a 412, even when the server held extra bytes', async () => {
    h.api.enqueue(jobSpec());
    const payload = (await runner.requestJob())!;
    await runner.updateJob(payload.id, payload.token, { state: 'running' });
    await runner.patchTrace(payload.id, payload.token, Buffer.from('abcdef'), 0);
    const resets: number[] = [];
    h.api.events.on('trace-reset', (event) => resets.push(event.jobId));
    // The runner believes it sent only "abc": 412, full re-send from 0, then 200.
    const result = await runner.runJob(payload, ['abc']);
    expect(result).toMatchObject({ finalStatus: 200, updates: 2 });
    expect(h.api.trace(payload.id).toString()).toBe('abc');
    expect(resets).toEqual([payload.id]);
  });

  it('cancels gracefully (Job-Status: canceling) and hard (canceled)', async () => {
    h.api.enqueue(jobSpec());
    h.api.enqueue(jobSpec());
    const graceful = (await runner.requestJob())!;
    const hard = (await runner.requestJob())!;
    await runner.updateJob(graceful.id, graceful.token, { state: 'running' });
    h.api.cancel(graceful.id);
    const put = await runner.updateJob(graceful.id, graceful.token, { state: 'running' });
    expect(put.headers.get('job-status')).toBe('canceling');
    const patch = await runner.patchTrace(graceful.id, graceful.token, Buffer.from('after_script ran\n'), 0);
    expect(patch.status).toBe(202);
    expect(patch.headers.get('job-status')).toBe('canceling');
    const done = await runner.runJob(graceful, ['after_script ran\n'], {
      state: 'failed',
      failure_reason: 'job_canceled',
    });
    expect(done.finalStatus).toBe(200);
    expect(h.api.job(graceful.id)?.state).toBe('canceled');

    h.api.cancel(hard.id, { force: true });
    const aborted = await runner.updateJob(hard.id, hard.token, { state: 'running' });
    expect(aborted.headers.get('job-status')).toBe('canceled');
    const patchAfter = await runner.patchTrace(hard.id, hard.token, Buffer.from('x'), 0);
    expect(patchAfter.status).toBe(403);
    expect(patchAfter.headers.get('job-status')).toBe('canceled');

    const pending = h.api.enqueue(jobSpec());
    expect(h.api.cancel(pending.id).state).toBe('canceled');
    expect(await runner.requestJob()).toBeUndefined();
  });

  it('never lets a token touch another job, and validates every update', async () => {
    h.api.enqueue(jobSpec());
    h.api.enqueue(jobSpec());
    const a = (await runner.requestJob())!;
    const b = (await runner.requestJob())!;
    const cross = await runner.updateJob(b.id, a.token, { state: 'success' });
    expect(cross.status).toBe(403);
    expect(cross.json().message).toMatch(/does not belong/);
    expect(h.api.job(b.id)?.state).toBe('running');
    const none = await runner.call('PUT', `jobs/${a.id}`, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'success' }),
    });
    expect(none.status).toBe(403);
    const badState = await runner.updateJob(a.id, a.token, { state: 'exploded' });
    expect(badState.status).toBe(400);
    expect(badState.json().message).toMatch(/state/);
    const noState = await runner.call('PUT', `jobs/${a.id}`, {
      headers: { 'JOB-TOKEN': a.token, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(noState.status).toBe(400);
    const backwards = await runner.updateJob(a.id, a.token, { state: 'pending' });
    expect(backwards.status).toBe(400);
    const garbage = await runner.call('PUT', `jobs/${a.id}`, {
      headers: { 'JOB-TOKEN': a.token, 'Content-Type': 'application/json' },
      body: 'not json',
    });
    expect(garbage.status).toBe(400);
    for (const id of ['0', '-1', 'abc', '1e3', '99999999999999999999']) {
      const reply = await runner.updateJob(id as unknown as number, a.token, { state: 'running' });
      expect(reply.status).toBe(404);
    }
    const badSize = await runner.updateJob(a.id, a.token, { state: 'success', output: { bytesize: -1 } });
    expect(badSize.status).toBe(400);
    expect(h.api.job(a.id)?.state).toBe('running');
  });

  it('holds a long poll until a job arrives and releases it when the client goes away', async () => {
    await using held = await startApi({ longPollMs: 20_000 });
    const client = new FakeRunner(held.url, held.api.registerRunner().token);
    const pending = client.requestJob();
    // The request is held; enqueue releases it with the job.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const job = held.api.enqueue(jobSpec());
    expect((await pending)?.id).toBe(job.id);

    // A client that gives up leaves no claim behind: the next job goes to the next poll.
    const gone = new AbortController();
    const abandoned = client.requestJob({ signal: gone.signal }).catch((error: Error) => error.name);
    await new Promise((resolve) => setTimeout(resolve, 50));
    gone.abort();
    expect(await abandoned).toBe('AbortError');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = held.api.enqueue(jobSpec());
    expect((await client.requestJob())?.id).toBe(next.id);
  });
});
