import { describe, expect, it } from 'vitest';
import type { BenchResult, RowResult } from './harness.js';
import { median } from './harness.js';
import { formatReport, summarize } from './report.js';
import { MiB, QUICK_SIZES } from './scenario.js';

function row(overrides: Partial<RowResult> & Pick<RowResult, 'id'>): RowResult {
  return {
    group: 'g',
    title: overrides.id,
    unit: 'MiB/s',
    better: 'higher',
    target: 1.25,
    baseline: { name: 'distribution', samples: [100], median: 100, rssPeak: 30 * MiB },
    candidate: { name: 'glci', samples: [150], median: 150, rssPeak: 90 * MiB },
    ratio: 1.5,
    pass: true,
    ...overrides,
  };
}

const result: BenchResult = {
  startedAt: '2026-11-22T23:00:00.000Z',
  finishedAt: '2026-11-22T23:05:00.000Z',
  seconds: 300,
  machine: {
    cores: 2,
    cpu: 'test cpu',
    memoryBytes: 24 * 1024 ** 3,
    node: 'v20.20.2',
    loadAverageBefore: [1, 1, 1],
    loadAverageAfter: [2, 2, 2],
  },
  sizes: QUICK_SIZES,
  baseline: { name: 'distribution', description: 'CNCF distribution 2.8.2' },
  candidate: { name: 'glci', description: 'glci registry serve' },
  rows: [
    row({
      id: 'push-monolithic',
      rssTarget: 200 * MiB,
      baseline: { name: 'distribution', samples: [95, 100, 105], median: 100, rssPeak: 30 * MiB },
      candidate: { name: 'glci', samples: [150, 140, 155], median: 150, rssPeak: 90 * MiB },
    }),
    row({
      id: 'manifest-get',
      unit: 'req/s',
      target: 3,
      ratio: 2,
      pass: false,
      baseline: { name: 'distribution', samples: [1000], median: 1000 },
      candidate: { name: 'glci', samples: [2000], median: 2000 },
    }),
    row({
      id: 'docker-push-pull',
      unit: 's',
      better: 'lower',
      baseline: { name: 'distribution', samples: [4], median: 4, cpuSeconds: [0.3] },
      candidate: { name: 'glci', samples: [2], median: 2, cpuSeconds: [0.2] },
      ratio: 2,
    }),
    row({
      id: 'pull',
      rssTarget: 200 * MiB,
      candidate: { name: 'glci', samples: [] },
      ratio: undefined,
      pass: undefined,
      error: 'glci: GET answered 500',
    }),
  ],
};

describe('formatReport', () => {
  it('prints every row with its values, ratio, target and PASS, MISS or ERROR', () => {
    const text = formatReport(result);
    const line = (id: string) => text.split('\n').find((each) => each.startsWith(id)) ?? '';
    expect(line('push-monolithic')).toMatch(
      /100\.0 MiB\/s\s+150\.0 MiB\/s\s+1\.50x\s+>= 1\.25x\s+PASS\s+10%$/,
    );
    expect(line('manifest-get')).toMatch(/1000 req\/s\s+2000 req\/s\s+2\.00x\s+>= 3\.00x\s+MISS\s+-$/);
    expect(line('docker-push-pull')).toMatch(/4\.00 s\s+2\.00 s\s+2\.00x\s+>= 1\.25x\s+PASS\s+-$/);
    expect(line('pull')).toMatch(/-\s+>= 1\.25x\s+ERROR\s+-$/);
    expect(text).toMatch(/during push-monolithic\s+90 MiB\s+30 MiB\s+< 200 MiB\s+PASS/);
    expect(text).toMatch(/during pull\s+-\s+30 MiB\s+< 200 MiB\s+ERROR/);
    expect(text).toContain('ERROR pull: glci: GET answered 500');
    expect(text).toContain('machine: 2 cores (test cpu)');
  });

  it('prints the registry CPU table only for rows where both sides were measured', () => {
    const text = formatReport(result);
    const cpuTable = text.slice(text.indexOf('registry CPU per run'));
    expect(cpuTable).toMatch(/^docker-push-pull\s+0\.30 s\s+0\.20 s\s+1\.50x$/m);
    expect(cpuTable).not.toMatch(/^push-monolithic/m);
    const withoutCpu = { ...result, rows: result.rows.filter((each) => each.id !== 'docker-push-pull') };
    expect(formatReport(withoutCpu)).not.toContain('registry CPU per run');
  });

  it('counts a check as missed, never as passed, when the target is not reached', () => {
    expect(summarize(result)).toEqual({ pass: 3, miss: 1, error: 2, total: 6 });
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
