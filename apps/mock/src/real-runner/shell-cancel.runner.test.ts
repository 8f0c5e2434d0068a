import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeRepository,
  plain,
  type RealRunnerHarness,
  startRealRunnerHarness,
} from '../test-support/real-runner.js';

/** Cancelling and timing out jobs the official runner (shell executor) is running. */
let harness: RealRunnerHarness;
let repo: Awaited<ReturnType<typeof makeRepository>>;

beforeAll(async () => {
  repo = await makeRepository(1);
  harness = await startRealRunnerHarness({ mock: { traceUpdateInterval: 1 } });
  await harness.publish(repo.dir);
});

afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

/** Resolves once the job's log contains `text` (the script has reached that point). */
async function logReaches(jobId: number, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!harness.mock.runnerApi.trace(jobId).toString('utf8').includes(text)) {
    if (Date.now() > deadline) throw new Error(`job ${jobId}'s log never showed "${text}"`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// It prints every second: the runner sends its log (and so learns of a cancel) only when there is
// new output, or else on its keep-alive every 30 s, as it does against GitLab.
const longScript = [
  'echo "started $CI_JOB_ID"',
  'for i in $(seq 1 120); do echo "tick $i"; sleep 1; done',
  'echo "not reached"',
];

describe('the official runner, shell executor: cancel and timeout', { timeout: 90_000 }, () => {
  it('cancels gracefully: the script stops, after_script still runs, the job ends canceled', async () => {
    const job = harness.enqueue({
      name: 'graceful',
      script: longScript,
      after_script: ['echo "after_script ran with status $CI_JOB_STATUS"'],
    });
    await logReaches(job.id, `started ${job.id}`);
    harness.mock.runnerApi.cancel(job.id);
    const { record, trace } = await harness.finished(job.id, 60_000);
    expect(record.state).toBe('canceled');
    const out = plain(trace);
    expect(out).not.toContain('\nnot reached\n');
    expect(out).toContain('after_script ran with status canceled');
  });

  it('cancels forcibly: the runner aborts at once, without after_script', async () => {
    const job = harness.enqueue({
      name: 'forced',
      script: longScript,
      after_script: ['echo "after_script ran"'],
    });
    await logReaches(job.id, `started ${job.id}`);
    const started = Date.now();
    harness.mock.runnerApi.cancel(job.id, { force: true });
    expect(harness.mock.runnerApi.job(job.id)?.state).toBe('canceled');
    // The runner learns of it on its next trace update (every second here) and stops the job.
    await expect.poll(() => harness.runner.output(), { timeout: 30_000 }).toMatch(/aborted|canceled/i);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(plain(harness.mock.runnerApi.trace(job.id).toString('utf8'))).not.toContain('after_script ran');
  });

  it('times a job out at its timeout with job_execution_timeout (the job deadline leaves no room for after_script)', async () => {
    const { record, trace } = await harness.run(
      { name: 'slow', timeout: 3, script: longScript, after_script: ['echo "after_script after timeout"'] },
      60_000,
    );
    expect(record).toMatchObject({ state: 'failed', failureReason: 'job_execution_timeout' });
    const out = plain(trace);
    expect(out).toMatch(/execution took longer than 3s seconds/);
    expect(out).not.toContain('\nnot reached\n');
  });

  it('times out only the script with RUNNER_SCRIPT_TIMEOUT, so after_script still runs', async () => {
    const { record, trace } = await harness.run(
      {
        name: 'slow-script',
        timeout: 120,
        variables: { RUNNER_SCRIPT_TIMEOUT: '3s' },
        script: longScript,
        after_script: ['echo "after_script after the script timeout: $CI_JOB_STATUS"'],
      },
      60_000,
    );
    expect(record).toMatchObject({ state: 'failed', failureReason: 'job_execution_timeout' });
    expect(plain(trace)).toContain('after_script after the script timeout: timedout');
  });
});
