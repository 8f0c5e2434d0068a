import { describe, expect, it } from 'vitest';
import { PipelineScheduler, ResourceGroups, type SchedulableJob } from './scheduler.js';

function job(name: string, stageIndex: number, extra: Partial<SchedulableJob> = {}): SchedulableJob {
  return {
    name,
    stageIndex,
    when: 'on_success',
    allowFailure: false,
    retry: { max: 0, when: [], exitCodes: [] },
    ...extra,
  };
}

const names = (jobs: readonly { name: string }[]) => jobs.map((j) => j.name);

/** Runs the scheduler to the end, every started job ending as `outcomes` says (default success). */
function runAll(
  scheduler: PipelineScheduler,
  outcomes: Record<string, { state: 'success' | 'failed'; failureReason?: string; exitCode?: number }[]> = {},
) {
  const waves: string[][] = [];
  for (let guard = 0; guard < 50; guard++) {
    const wave = scheduler.ready(0);
    if (wave.length === 0) break;
    waves.push(names(wave));
    for (const started of wave) {
      scheduler.started(started.name);
      const next = outcomes[started.name]?.shift() ?? { state: 'success' };
      scheduler.finished(started.name, next);
    }
  }
  return waves;
}

describe('PipelineScheduler', () => {
  it('runs stage by stage, and a needs: [] job at once', () => {
    const scheduler = new PipelineScheduler(
      [job('build', 0), job('lint', 1, { needs: [] }), job('unit', 1), job('e2e', 1), job('deploy', 2)],
      { concurrency: 0 },
    );
    expect(runAll(scheduler)).toEqual([['build', 'lint'], ['unit', 'e2e'], ['deploy']]);
    expect(scheduler.status()).toBe('success');
  });

  it('follows needs across stages instead of waiting for whole stages', () => {
    const scheduler = new PipelineScheduler(
      [
        job('build-a', 0),
        job('build-b', 0),
        job('test-a', 1, { needs: [{ job: 'build-a', artifacts: true, optional: false }] }),
        job('test-b', 1, { needs: [{ job: 'build-b', artifacts: true, optional: false }] }),
      ],
      { concurrency: 0 },
    );
    expect(scheduler.ready(0).map((j) => j.name)).toEqual(['build-a', 'build-b']);
    scheduler.started('build-a');
    scheduler.finished('build-a', { state: 'success' });
    // test-a goes while build-b still runs.
    expect(names(scheduler.ready(0))).toEqual(['test-a']);
  });

  it('skips on_success jobs after a failure, runs on_failure and always jobs, and fails the pipeline', () => {
    const scheduler = new PipelineScheduler(
      [
        job('build', 0),
        job('test', 1),
        job('notify-failure', 1, { when: 'on_failure' }),
        job('cleanup', 2, { when: 'always' }),
      ],
      { concurrency: 0 },
    );
    expect(runAll(scheduler, { build: [{ state: 'failed', exitCode: 1 }] })).toEqual([
      ['build'],
      ['notify-failure'],
      ['cleanup'],
    ]);
    expect(scheduler.job('test')).toMatchObject({
      status: 'skipped',
      reason: 'a job before it did not succeed',
    });
    expect(scheduler.status()).toBe('failed');
  });

  it('treats an allowed failure as success, also by exit code', () => {
    const scheduler = new PipelineScheduler(
      [
        job('flaky', 0, { allowFailure: true }),
        job('audit', 0, { allowFailure: { exitCodes: [3] } }),
        job('strict', 0, { allowFailure: { exitCodes: [3] } }),
        job('next', 1),
      ],
      { concurrency: 0 },
    );
    runAll(scheduler, {
      flaky: [{ state: 'failed', exitCode: 1 }],
      audit: [{ state: 'failed', exitCode: 3 }],
      strict: [{ state: 'failed', exitCode: 1 }],
    });
    expect(scheduler.job('flaky')).toMatchObject({ status: 'failed', allowedFailure: true });
    expect(scheduler.job('audit')).toMatchObject({ status: 'failed', allowedFailure: true });
    expect(scheduler.job('strict').allowedFailure).toBeUndefined();
    expect(scheduler.job('next').status).toBe('skipped');
    expect(scheduler.status()).toBe('failed');
  });

  it('leaves a manual job that may fail alone, and runs it when asked', () => {
    const jobs = [
      job('build', 0),
      job('deploy', 1, { when: 'manual', allowFailure: true }),
      job('report', 2),
    ];
    const idle = new PipelineScheduler(jobs, { concurrency: 0 });
    expect(runAll(idle)).toEqual([['build'], ['report']]);
    expect(idle.job('deploy')).toMatchObject({ status: 'manual' });
    expect(idle.status()).toBe('success');

    const asked = new PipelineScheduler(jobs, { concurrency: 0, runManual: new Set(['deploy']) });
    expect(runAll(asked)).toEqual([['build'], ['deploy'], ['report']]);
  });

  it('blocks later stages behind a manual job that may not fail (rules: when: manual)', () => {
    const scheduler = new PipelineScheduler(
      [job('build', 0), job('approve', 1, { when: 'manual', allowFailure: false }), job('deploy', 2)],
      { concurrency: 0 },
    );
    expect(runAll(scheduler)).toEqual([['build']]);
    expect(scheduler.job('deploy')).toMatchObject({
      status: 'skipped',
      reason: 'waits for the manual job approve',
    });
    expect(scheduler.status()).toBe('blocked');
    // Playing it later lets the pipeline go on from there.
    const played = new PipelineScheduler(
      [job('build', 0), job('approve', 1, { when: 'manual', allowFailure: false }), job('deploy', 2)],
      { concurrency: 0 },
    );
    runAll(played);
    played.play('approve');
    expect(names(played.ready(0))).toEqual(['approve']);
  });

  it('holds a job that needs an unrun manual job, even one that may fail', () => {
    const scheduler = new PipelineScheduler(
      [
        job('build', 0),
        job('review', 1, { when: 'manual', allowFailure: true }),
        job('after-review', 2, { needs: [{ job: 'review', artifacts: false, optional: false }] }),
        job('other', 2),
      ],
      { concurrency: 0 },
    );
    expect(runAll(scheduler)).toEqual([['build'], ['other']]);
    expect(scheduler.job('after-review')).toMatchObject({
      status: 'skipped',
      reason: 'waits for the manual job review',
    });
  });

  it('retries failures up to retry.max when the reason and exit code match', () => {
    const scheduler = new PipelineScheduler(
      [
        job('flaky', 0, { retry: { max: 2, when: ['script_failure'], exitCodes: [] } }),
        job('timeout-only', 0, { retry: { max: 2, when: ['stuck_or_timeout_failure'], exitCodes: [] } }),
        job('code-only', 0, { retry: { max: 1, when: [], exitCodes: [137] } }),
      ],
      { concurrency: 0 },
    );
    const waves = runAll(scheduler, {
      flaky: [
        { state: 'failed', failureReason: 'script_failure', exitCode: 1 },
        { state: 'failed', failureReason: 'script_failure', exitCode: 1 },
      ],
      'timeout-only': [{ state: 'failed', failureReason: 'script_failure', exitCode: 1 }],
      'code-only': [{ state: 'failed', failureReason: 'script_failure', exitCode: 137 }],
    });
    expect(waves).toEqual([['flaky', 'timeout-only', 'code-only'], ['flaky', 'code-only'], ['flaky']]);
    expect(scheduler.job('flaky')).toMatchObject({ status: 'success', attempt: 3 });
    expect(scheduler.job('timeout-only')).toMatchObject({ status: 'failed', attempt: 1 });
    expect(scheduler.job('code-only')).toMatchObject({ status: 'success', attempt: 2 });
  });

  it('starts a delayed job start_in after it could have started', () => {
    const scheduler = new PipelineScheduler(
      [job('build', 0), job('later', 1, { when: 'delayed', startInSeconds: 30 })],
      {
        concurrency: 0,
      },
    );
    expect(names(scheduler.ready(1_000))).toEqual(['build']);
    scheduler.started('build');
    scheduler.finished('build', { state: 'success' });
    expect(scheduler.ready(5_000)).toEqual([]);
    expect(scheduler.nextWakeAt()).toBe(35_000);
    expect(scheduler.job('later')).toMatchObject({ status: 'scheduled', startsAt: 35_000 });
    expect(names(scheduler.ready(35_000))).toEqual(['later']);
  });

  it('keeps to the concurrency limit', () => {
    const scheduler = new PipelineScheduler([job('a', 0), job('b', 0), job('c', 0)], { concurrency: 2 });
    expect(names(scheduler.ready(0))).toEqual(['a', 'b']);
    expect(scheduler.ready(0)).toEqual([]);
    scheduler.started('a');
    scheduler.finished('a', { state: 'success' });
    expect(names(scheduler.ready(0))).toEqual(['c']);
  });

  it('runs one job of a resource group at a time, across pipelines', () => {
    const groups = new ResourceGroups();
    const first = new PipelineScheduler([job('deploy', 0, { resourceGroup: 'production' })], {
      concurrency: 0,
      resourceGroups: groups,
      pipelineKey: '1',
    });
    const second = new PipelineScheduler(
      [job('deploy', 0, { resourceGroup: 'production' }), job('test', 0)],
      {
        concurrency: 0,
        resourceGroups: groups,
        pipelineKey: '2',
      },
    );
    expect(names(first.ready(0))).toEqual(['deploy']);
    expect(names(second.ready(0))).toEqual(['test']);
    first.started('deploy');
    first.finished('deploy', { state: 'success' });
    expect(names(second.ready(0))).toEqual(['deploy']);
  });

  it('cancels what has not started and reports a canceled pipeline', () => {
    const scheduler = new PipelineScheduler([job('a', 0), job('b', 1)], { concurrency: 0 });
    scheduler.ready(0);
    scheduler.started('a');
    expect(scheduler.cancel().map((progress) => progress.name)).toEqual(['b']);
    expect(scheduler.status()).toBe('running');
    scheduler.finished('a', { state: 'canceled' });
    expect(scheduler.status()).toBe('canceled');
    expect(scheduler.ready(0)).toEqual([]);
  });

  it('skips a job whose needed job was skipped', () => {
    const scheduler = new PipelineScheduler(
      [
        job('build', 0),
        job('package', 1),
        job('publish', 2, { needs: [{ job: 'package', artifacts: true, optional: false }] }),
      ],
      { concurrency: 0 },
    );
    runAll(scheduler, { build: [{ state: 'failed' }] });
    expect(scheduler.job('package').status).toBe('skipped');
    expect(scheduler.job('publish').status).toBe('skipped');
  });
});
