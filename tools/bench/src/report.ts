import os from 'node:os';
import { type BenchResult, formatValue, median, type RowResult } from './harness.js';
import { MiB } from './scenario.js';

/** The result table for stdout: one ratio per row, its target and PASS/MISS, then peak RSS. */
export function formatReport(result: BenchResult): string {
  const { baseline, candidate, machine, sizes } = result;
  const lines: string[] = [];
  lines.push(
    `${candidate.name} vs ${baseline.name}: median of ${sizes.repetitions} run${sizes.repetitions === 1 ? '' : 's'} per side${sizes.quick ? ' (--quick sizes)' : ''}`,
    `machine: ${machine.cores} cores (${machine.cpu}), ${Math.round(machine.memoryBytes / 1024 ** 3)} GiB, ${os.type()} ${os.release()}, node ${machine.node}; load average ${machine.loadAverageBefore.map((n) => n.toFixed(2)).join(' ')} before, ${machine.loadAverageAfter.map((n) => n.toFixed(2)).join(' ')} after`,
    `${baseline.name}: ${baseline.description}`,
    `${candidate.name}: ${candidate.description}`,
    `started ${result.startedAt}, took ${Math.round(result.seconds)} s`,
    result.pageCacheBallastBytes === undefined
      ? 'page cache: not primed (--no-prime or --quick); writes may land in free memory, see the README'
      : `page cache: free memory filled with clean ballast before each group (${(result.pageCacheBallastBytes / 1024 ** 3).toFixed(1)} GiB written, untimed)`,
    '',
  );
  // One table per pair of tools: the registry rows, then rows against another baseline
  // (gitlab-ci-local for planning and pipeline runs), each under its own column names.
  const pairs = [...new Set(result.rows.map((row) => `${row.baseline.name}\u0000${row.candidate.name}`))];
  for (const [index, pair] of pairs.entries()) {
    const [baselineName, candidateName] = pair.split('\u0000') as [string, string];
    const table: string[][] = [['row', baselineName, candidateName, 'ratio', 'target', 'result', 'spread']];
    for (const row of result.rows) {
      if (row.baseline.name !== baselineName || row.candidate.name !== candidateName) continue;
      table.push([
        row.title,
        sideValue(row, 'baseline'),
        sideValue(row, 'candidate'),
        row.ratio === undefined ? '-' : `${row.ratio.toFixed(2)}x`,
        `>= ${row.target.toFixed(2)}x`,
        verdict(row),
        spread(row),
      ]);
    }
    if (index > 0) lines.push('');
    lines.push(...renderTable(table));
  }
  lines.push(
    '',
    `ratio: candidate ÷ baseline (the right column ÷ the left) for throughput, baseline time ÷ candidate time for time rows; above 1 means the candidate (${candidate.name}) is faster.`,
    `spread: (slowest - fastest run) ÷ median, the larger of the two sides: how noisy the machine was for that row.`,
  );

  const rssRows = result.rows.filter((row) => row.rssTarget !== undefined);
  if (rssRows.length > 0) {
    lines.push('');
    const rss: string[][] = [
      [`peak RSS of ${candidate.name}`, candidate.name, `(${baseline.name})`, 'target', 'result'],
    ];
    for (const row of rssRows) {
      const peak = row.candidate.rssPeak;
      const target = row.rssTarget ?? 0;
      rss.push([
        `during ${row.title}`,
        peak === undefined ? '-' : `${(peak / MiB).toFixed(0)} MiB`,
        row.baseline.rssPeak === undefined ? '-' : `${(row.baseline.rssPeak / MiB).toFixed(0)} MiB`,
        `< ${(target / MiB).toFixed(0)} MiB`,
        peak === undefined ? 'ERROR' : peak < target ? 'PASS' : 'MISS',
      ]);
    }
    lines.push(...renderTable(rss));
  }

  const cpuRows = result.rows.filter((row) => row.baseline.cpuSeconds && row.candidate.cpuSeconds);
  if (cpuRows.length > 0) {
    lines.push('');
    const cpu: string[][] = [
      ['registry CPU per run (user + system)', baseline.name, candidate.name, 'ratio'],
    ];
    for (const row of cpuRows) {
      const b = median(row.baseline.cpuSeconds!);
      const c = median(row.candidate.cpuSeconds!);
      cpu.push([row.title, `${b.toFixed(2)} s`, `${c.toFixed(2)} s`, c > 0 ? `${(b / c).toFixed(2)}x` : '-']);
    }
    lines.push(
      ...renderTable(cpu),
      '',
      `CPU: median over the timed runs of the registry process alone (clients, dockerd and the S3 server not counted); ratio above 1 means ${candidate.name} did the same work with less CPU. Not a target: it shows where a row's time goes.`,
    );
  }

  if (result.checks?.length) {
    lines.push('');
    const checks: string[][] = [['absolute check', 'value', 'limit', 'result']];
    for (const check of result.checks) {
      const value = Number.isFinite(check.seconds) ? `${(check.seconds * 1000).toFixed(0)} ms` : '-';
      checks.push([
        check.title,
        value,
        Number.isFinite(check.limitSeconds)
          ? `${check.comparison ?? '<'} ${(check.limitSeconds * 1000).toFixed(0)} ms`
          : '-',
        Number.isFinite(check.seconds) ? (check.pass ? 'PASS' : 'MISS') : 'ERROR',
      ]);
    }
    lines.push(...renderTable(checks));
  }

  if (result.memory?.length) {
    lines.push('');
    const memory: string[][] = [['peak RSS during the warm pipeline runs', 'tool', 'RSS']];
    for (const entry of result.memory)
      memory.push([entry.name, entry.tool, `${(entry.bytes / MiB).toFixed(0)} MiB`]);
    lines.push(
      ...renderTable(memory),
      '',
      'RSS: polled every 100 ms over each warm run, the highest of the runs; a container counts every process in it. Not a target.',
    );
  }

  if (result.breakdown?.length) lines.push('', ...result.breakdown);

  const summary = summarize(result);
  lines.push(
    '',
    `${summary.pass} PASS, ${summary.miss} MISS, ${summary.error} ERROR (${summary.total} checks: ${result.rows.length} rows, ${rssRows.length} RSS checks and ${result.checks?.length ?? 0} absolute checks)`,
  );
  for (const row of result.rows) if (row.error) lines.push(`ERROR ${row.id}: ${row.error}`);
  return `${lines.join('\n')}\n`;
}

export function summarize(result: BenchResult): { pass: number; miss: number; error: number; total: number } {
  let pass = 0;
  let miss = 0;
  let error = 0;
  for (const row of result.rows) {
    if (row.error || row.pass === undefined) error++;
    else if (row.pass) pass++;
    else miss++;
    if (row.rssTarget !== undefined) {
      if (row.candidate.rssPeak === undefined) error++;
      else if (row.candidate.rssPeak < row.rssTarget) pass++;
      else miss++;
    }
  }
  for (const check of result.checks ?? []) {
    if (!Number.isFinite(check.seconds)) error++;
    else if (check.pass) pass++;
    else miss++;
  }
  return { pass, miss, error, total: pass + miss + error };
}

function sideValue(row: RowResult, side: 'baseline' | 'candidate'): string {
  const value = row[side].median;
  return value === undefined ? '-' : formatValue(value, row.unit);
}

/** The larger relative spread of the two sides' runs, as a percentage (`-` with fewer than 2 runs). */
function spread(row: RowResult): string {
  const spreads = [row.baseline, row.candidate]
    .filter((side) => side.samples.length > 1 && side.median)
    .map((side) => (Math.max(...side.samples) - Math.min(...side.samples)) / side.median!);
  return spreads.length === 0 ? '-' : `${Math.round(Math.max(...spreads) * 100)}%`;
}

function verdict(row: RowResult): string {
  if (row.error || row.pass === undefined) return 'ERROR';
  return row.pass ? 'PASS' : 'MISS';
}

function renderTable(table: string[][]): string[] {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)));
  return table.map((line, index) => {
    const cells = line.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
    );
    const text = cells.join('  ').trimEnd();
    return index === 0 ? `${text}\n${'-'.repeat(text.length)}` : text;
  });
}
