import type { BenchResult, RowResult } from './harness.js';

/**
 * The run as a bar chart (SVG, no dependencies): one bar per row, its length the ratio on a
 * logarithmic axis (0.25x to at least 4x, so 0.8x and 12x both read), a tick at the row's target,
 * green for PASS, red for MISS, grey for a row that could not be measured. People compare bars
 * faster than the table's numbers; the table stays the reference.
 */
export function renderChart(result: BenchResult): string {
  const labelWidth = 420;
  const plotWidth = 440;
  const valueWidth = 150;
  const rowHeight = 26;
  const top = 78;
  const width = labelWidth + plotWidth + valueWidth;
  const height = top + result.rows.length * rowHeight + 44;
  const ratios = result.rows.map((row) => row.ratio ?? 0).filter((ratio) => ratio > 0);
  const minRatio = 0.25;
  const maxRatio = 2 ** Math.max(2, Math.ceil(Math.log2(Math.max(...ratios, 4))));
  const x = (ratio: number) =>
    labelWidth +
    (Math.log2(Math.min(Math.max(ratio, minRatio), maxRatio) / minRatio) / Math.log2(maxRatio / minRatio)) *
      plotWidth;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(
      12,
      22,
      `${result.candidate.name} vs ${result.baseline.name}: ratio per row (above 1x: ${result.candidate.name} faster)`,
      {
        size: 15,
        weight: 'bold',
      },
    ),
    text(
      12,
      42,
      `${result.startedAt}, ${result.sizes.quick ? '--quick sizes, ' : ''}median of ${result.sizes.repetitions} run${result.sizes.repetitions === 1 ? '' : 's'} per side; ${result.machine.cores} cores, load ${result.machine.loadAverageBefore.map((n) => n.toFixed(1)).join(' ')} before`,
      { fill: '#555555' },
    ),
  );
  // The axis: a gridline at every power of two, 1x drawn darker.
  for (let ratio = minRatio; ratio <= maxRatio; ratio *= 2) {
    const at = x(ratio).toFixed(1);
    parts.push(
      `<line x1="${at}" y1="${top - 8}" x2="${at}" y2="${top + result.rows.length * rowHeight}" stroke="${ratio === 1 ? '#333333' : '#dddddd'}" stroke-width="1"/>`,
      text(Number(at), top - 12, `${ratio}x`, { anchor: 'middle', fill: '#555555' }),
    );
  }
  result.rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    parts.push(text(labelWidth - 8, y + 17, row.title, { anchor: 'end' }));
    if (row.ratio !== undefined && row.ratio > 0) {
      const from = x(1);
      const to = x(row.ratio);
      parts.push(
        `<rect x="${Math.min(from, to).toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(to - from)).toFixed(1)}" height="${rowHeight - 10}" fill="${colour(row)}"/>`,
      );
    }
    const target = x(row.target).toFixed(1);
    parts.push(
      `<line x1="${target}" y1="${y + 2}" x2="${target}" y2="${y + rowHeight - 2}" stroke="#000000" stroke-width="2" stroke-dasharray="3,2"/>`,
      text(labelWidth + plotWidth + 8, y + 17, valueLabel(row), { fill: colour(row) }),
    );
  });
  parts.push(
    text(
      12,
      height - 14,
      'bar: ratio on a log scale (baseline time ÷ candidate time, or candidate throughput ÷ baseline); dashed tick: the target',
      { fill: '#555555' },
    ),
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function valueLabel(row: RowResult): string {
  if (row.error || row.ratio === undefined) return `ERROR (target ${row.target.toFixed(2)}x)`;
  return `${row.ratio.toFixed(2)}x ${row.pass ? 'PASS' : 'MISS'} (≥ ${row.target.toFixed(2)}x)`;
}

function colour(row: RowResult): string {
  if (row.error || row.pass === undefined) return '#888888';
  return row.pass ? '#2e8b3a' : '#c0392b';
}

function text(
  x: number,
  y: number,
  content: string,
  options: { anchor?: 'start' | 'middle' | 'end'; fill?: string; size?: number; weight?: string } = {},
): string {
  const attributes = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    options.anchor && options.anchor !== 'start' ? `text-anchor="${options.anchor}"` : '',
    options.fill ? `fill="${options.fill}"` : '',
    options.size ? `font-size="${options.size}"` : '',
    options.weight ? `font-weight="${options.weight}"` : '',
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${escapeXml(content)}</text>`;
}

export function escapeXml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** Where the chart goes: `--chart FILE`, else beside a `--json FILE` (`results.json` → `results.svg`). */
export function chartPath(options: { chart?: string | false; json: boolean | string }): string | undefined {
  if (options.chart === false) return undefined;
  if (typeof options.chart === 'string') return options.chart;
  if (typeof options.json !== 'string') return undefined;
  return options.json.endsWith('.json') ? `${options.json.slice(0, -5)}.svg` : `${options.json}.svg`;
}
