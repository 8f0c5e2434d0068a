import type { PipelineTimings } from '@glci/daemon';
import { describe, expect, it } from 'vitest';
import { formatBreakdown, gitlabCiLocalJobWindows, glciBreakdown } from './pipeline-breakdown.js';

describe('the pipeline breakdown', () => {
  it("reads each job's window from gitlab-ci-local's output, as its lines arrived", () => {
    const lines = [
      {
        stream: 'stdout' as const,
        text: 'build         starting glci-test/docker-cli:20.10-local (build)',
        seconds: 0.7,
      },
      { stream: 'stdout' as const, text: 'build         copied to docker volumes in 1.2 s', seconds: 2 },
      { stream: 'stdout' as const, text: 'build         finished in 3.1 s', seconds: 3.9 },
      {
        stream: 'stdout' as const,
        text: 'test          starting glci-test/docker-cli:20.10-local (test)',
        seconds: 4,
      },
    ];
    expect(gitlabCiLocalJobWindows(lines)).toEqual({ build: { start: 0.7, end: 3.9 } });
  });

  it("sums glci's spans by kind per job, and prints them beside gitlab-ci-local's windows", () => {
    const t0 = 1_000_000;
    const span = (name: string, from: number, to: number) => ({
      name,
      label: name,
      startMs: t0 + from,
      endMs: t0 + to,
    });
    const timings: PipelineTimings = {
      pipelineId: 3,
      status: 'success',
      startMs: t0,
      endMs: t0 + 5000,
      phases: [span('cli', 0, 300), span('planning', 300, 350)],
      jobs: [
        {
          name: 'build',
          stage: 'build',
          status: 'success',
          attempt: 1,
          startedAt: t0 + 500,
          finishedAt: t0 + 5000,
          critical: true,
          spans: [
            span('dispatch', 400, 500),
            span('prepare_executor', 500, 1500),
            span('get_sources', 1500, 2000),
            span('step_script', 2000, 4000),
            span('finish', 4000, 5000),
          ],
        },
      ],
      criticalPath: ['build'],
    };
    const breakdown = glciBreakdown(timings);
    expect(breakdown.total).toBe(5);
    expect(breakdown.phases).toEqual({ cli: 0.3, planning: 0.05 });
    expect(breakdown.jobs.build).toEqual({
      start: 0.4,
      end: 5,
      kinds: { dispatch: 0.1, prepare: 1, in: 0.5, script: 2, finish: 1 },
    });
    const text = formatBreakdown('warm', [breakdown], [{ build: { start: 0.7, end: 3.9 } }]).join('\n');
    expect(text).toContain('warm (seconds, median of 1 round;');
    expect(text).toMatch(
      /build +0\.70 +3\.20 +0\.40 +4\.60 +0\.00 +0\.10 +1\.00 +0\.50 +2\.00 +0\.00 +1\.00/,
    );
    expect(text).toContain('glci before its first job: cli 0.30, planning 0.05');
    expect(text).toContain(
      "glci's critical path: build; along it: glci 0.35, wait 0.00, dispatch 0.10, prepare 1.00",
    );
    expect(text).toContain(
      "of which glci's own (before the first job, waits, dispatch): 0.45; the runner's (prepare, in, out, finish): 2.50; the scripts: 2.00",
    );
  });
});
