import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../history/pipeline-record.js';
import { formatTimings } from './format-timings.js';
import { pipelineTimings } from './pipeline-timings.js';
import { timelineSvg } from './timeline-svg.js';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();
const E = '\x1b';

/** A job log as the runner writes it with timestamps: one section per [name, start, end] (ms from T0). */
function trace(sections: readonly [string, number, number][]): Buffer {
  const stamp = (offsetMs: number) => `${new Date(T0 + offsetMs).toISOString().replace('Z', '000Z')} 00O `;
  const lines = [`${stamp(sections[0]![1])}${E}[0KRunning with gitlab-runner 17.9.0${E}[0;m\n`];
  for (const [name, start, end] of sections) {
    lines.push(`${stamp(start)}section_start:${Math.floor((T0 + start) / 1000)}:${name}\r${E}[0K\n`);
    lines.push(`${stamp(start).replace(' 00O ', ' 00O+')}${E}[0K${E}[36;1m${name} title${E}[0;m\n`);
    lines.push(`${stamp(end)}section_end:${Math.floor((T0 + end) / 1000)}:${name}\r${E}[0K\n`);
  }
  return Buffer.from(lines.join(''));
}

/** build → test → report by stages; lint (`needs: []`) beside them; a retried flaky job in test. */
const record: PipelineRecord = {
  version: 1,
  id: 7,
  projectDir: '/p',
  status: 'success',
  createdAt: iso(300),
  startedAt: iso(800),
  finishedAt: iso(9000),
  phases: {
    cliStartedAt: iso(0),
    requestedAt: iso(200),
    plannedAt: iso(300),
    infrastructureReadyAt: iso(700),
    repositorySentAt: iso(800),
  },
  jobs: [
    {
      id: 1,
      name: 'build',
      stage: 'build',
      status: 'success',
      createdAt: iso(810),
      queuedAt: iso(820),
      startedAt: iso(900),
      finishedAt: iso(3000),
    },
    {
      id: 2,
      name: 'lint',
      stage: 'test',
      status: 'success',
      needs: [],
      createdAt: iso(810),
      queuedAt: iso(830),
      startedAt: iso(950),
      finishedAt: iso(2000),
    },
    {
      id: 3,
      name: 'test',
      stage: 'test',
      status: 'success',
      createdAt: iso(3050),
      queuedAt: iso(3060),
      startedAt: iso(3200),
      finishedAt: iso(6000),
    },
    {
      id: 4,
      name: 'flaky',
      stage: 'test',
      status: 'failed',
      attempt: 1,
      createdAt: iso(3050),
      startedAt: iso(3100),
      finishedAt: iso(4000),
    },
    {
      id: 5,
      name: 'flaky',
      stage: 'test',
      status: 'success',
      attempt: 2,
      createdAt: iso(4010),
      startedAt: iso(4100),
      finishedAt: iso(5000),
    },
    {
      id: 6,
      name: 'report',
      stage: 'report',
      status: 'success',
      createdAt: iso(6100),
      queuedAt: iso(6110),
      startedAt: iso(6300),
      finishedAt: iso(9000),
    },
    { name: 'deploy', stage: 'report', status: 'manual' },
  ],
};
const traces = new Map([
  [
    1,
    trace([
      ['prepare_executor', 900, 1500],
      ['get_sources', 1500, 2000],
      ['step_script', 2000, 2600],
    ]),
  ],
  [
    3,
    trace([
      ['prepare_executor', 3200, 3800],
      ['step_script', 3800, 5500],
    ]),
  ],
  [
    6,
    trace([
      ['prepare_executor', 6300, 6900],
      ['step_script', 6900, 8500],
    ]),
  ],
]);

describe('pipelineTimings', () => {
  const timings = pipelineTimings(record, traces);

  it("times glci's phases before the first job from the record", () => {
    expect(timings.startMs).toBe(T0);
    expect(timings.phases.map((span) => [span.name, span.endMs - span.startMs])).toEqual([
      ['cli', 200],
      ['planning', 100],
      ['infrastructure', 400],
      ['repository', 100],
    ]);
  });

  it("splits a job into wait, dispatch, the runner's sections and its finish", () => {
    const test = timings.jobs.find((job) => job.name === 'test')!;
    expect(test.readyAt).toBe(T0 + 3000);
    expect(test.spans.map((span) => [span.name, span.endMs - span.startMs])).toEqual([
      ['wait', 50],
      ['prepare', 10],
      ['dispatch', 140],
      ['prepare_executor', 600],
      ['step_script', 1700],
      ['finish', 500],
    ]);
    expect(test.spans.find((span) => span.name === 'step_script')?.label).toBe('step_script title');
  });

  it('follows what each job waited for back from the job that ended last: the critical path', () => {
    expect(timings.criticalPath).toEqual(['build', 'test', 'report']);
    expect(timings.jobs.filter((job) => job.critical).map((job) => job.name)).toEqual([
      'build',
      'test',
      'report',
    ]);
    // `needs: []` starts with the pipeline; a retry waits for the attempt before it.
    expect(timings.jobs.find((job) => job.name === 'lint')!.readyAt).toBe(T0 + 800);
    expect(timings.jobs.find((job) => job.name === 'flaky' && job.attempt === 2)!.readyAt).toBe(T0 + 4000);
    // A job that never ran has nothing to show.
    expect(timings.jobs.find((job) => job.name === 'deploy')!.spans).toEqual([]);
  });

  it('prints each job with its spans, and the critical path by kind of time', () => {
    const text = formatTimings(timings).join('\n');
    expect(text).toContain("pipeline #7 success: 9.00 s from glci run's start to the end");
    expect(text).toContain('  before the first job: 0.80 s');
    expect(text).toMatch(
      / {2}test \(test, success\), ran 3\.20 s → 6\.00 s \(2\.80 s\) {2}\[critical path\]/,
    );
    expect(text).toMatch(/step_script +1\.70 s {3}step_script title/);
    expect(text).toContain('  critical path: build → test → report');
    expect(text).toMatch(/job scripts +3\.90 s +43 %/);
  });

  it('draws a self-contained SVG timeline, text escaped', () => {
    const svg = timelineSvg(
      pipelineTimings({ ...record, jobs: [{ ...record.jobs[0]!, name: 'a<b>&"c' }] }, traces),
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a&#60;b&#62;&#38;&#34;c');
    expect(svg).not.toContain('a<b>');
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(5);
  });
});
