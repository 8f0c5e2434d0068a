import { describe, expect, it } from 'vitest';
import { chartPath, escapeXml, renderChart } from './chart.js';
import type { BenchResult, RowResult } from './harness.js';
import { QUICK_SIZES } from './scenario.js';

function row(id: string, overrides: Partial<RowResult> = {}): RowResult {
  return {
    id,
    group: 'g',
    title: id,
    unit: 'MiB/s',
    better: 'higher',
    target: 1.25,
    baseline: { name: 'distribution', samples: [100], median: 100 },
    candidate: { name: 'glci', samples: [150], median: 150 },
    ratio: 1.5,
    pass: true,
    ...overrides,
  };
}

const result: BenchResult = {
  startedAt: '2026-11-24T10:00:00.000Z',
  finishedAt: '2026-11-24T10:10:00.000Z',
  seconds: 600,
  machine: {
    cores: 2,
    cpu: 'test cpu',
    memoryBytes: 24 * 1024 ** 3,
    node: 'v20.20.2',
    loadAverageBefore: [1, 1, 1],
    loadAverageAfter: [2, 2, 2],
  },
  sizes: QUICK_SIZES,
  baseline: { name: 'distribution', description: 'd' },
  candidate: { name: 'glci', description: 'g' },
  rows: [
    row('push', { title: 'push <1 GiB> & more' }),
    row('s3-pull', { ratio: 0.72, pass: false, target: 0.8 }),
    row('manifest-head', { ratio: 12.6, target: 3 }),
    row('docker', { ratio: undefined, pass: undefined, error: 'dockerd went away' }),
  ],
};

/** The element names in document order, checking that every one is closed in order. */
function elements(svg: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (closing) expect(open.pop()).toBe(name);
    else {
      names.push(name as string);
      if (!selfClosing) open.push(name as string);
    }
  }
  expect(open).toEqual([]);
  return names;
}

describe('renderChart', () => {
  it('draws one coloured bar per measured row, a target tick per row, and escapes titles', () => {
    const svg = renderChart(result);
    const names = elements(svg);
    expect(names[0]).toBe('svg');
    // Background plus a bar for each of the three measured rows.
    expect(names.filter((name) => name === 'rect')).toHaveLength(4);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(4);
    expect(svg).toContain('push &lt;1 GiB&gt; &amp; more');
    expect(svg).toContain('1.50x PASS (≥ 1.25x)');
    expect(svg).toContain('0.72x MISS (≥ 0.80x)');
    expect(svg).toContain('ERROR (target 1.25x)');
    expect(svg).toContain('fill="#2e8b3a"');
    expect(svg).toContain('fill="#c0392b"');
    // The axis reaches past the largest ratio: 12.6x needs 16x.
    expect(svg).toContain('>16x</text>');
    expect(svg).toContain('--quick sizes');
  });
});

describe('chartPath', () => {
  it('is --chart, else beside --json FILE, else nothing', () => {
    expect(chartPath({ chart: 'c.svg', json: 'r.json' })).toBe('c.svg');
    expect(chartPath({ json: 'out/r.json' })).toBe('out/r.svg');
    expect(chartPath({ json: 'results' })).toBe('results.svg');
    expect(chartPath({ json: true })).toBeUndefined();
    expect(chartPath({ json: false })).toBeUndefined();
    expect(chartPath({ chart: false, json: 'r.json' })).toBeUndefined();
  });
});

describe('escapeXml', () => {
  it('escapes what would break markup or an attribute', () => {
    expect(escapeXml('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});
