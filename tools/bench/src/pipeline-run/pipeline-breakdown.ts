import { type PipelineTimings, spanCategory } from '@glci/daemon';
import { median } from '../harness.js';
import type { TimedLine } from './run-timed.js';

/** When a job ran, in seconds from the tool's spawn. */
export interface JobWindow {
  readonly start: number;
  readonly end: number;
}

/** One glci run, from `glci log --timings --json`: where its time went. */
export interface GlciRunBreakdown {
  readonly total: number;
  /** glci's phases before the first job (`cli`, `planning`, `infrastructure`, `repository`), seconds. */
  readonly phases: Readonly<Record<string, number>>;
  /** Per job: its window and its time by kind (`KINDS`), seconds. */
  readonly jobs: Readonly<Record<string, JobWindow & { readonly kinds: Readonly<Record<string, number>> }>>;
  readonly criticalPath: readonly string[];
  /** The critical path's time by kind (`KINDS`, plus `glci` for the phases before the first job), seconds. */
  readonly criticalKinds: Readonly<Record<string, number>>;
}

/** The kinds of a job's time, as columns: `spanCategory`'s words, shortened. */
export const KINDS: readonly (readonly [column: string, category: string])[] = [
  ['wait', 'glci between jobs'],
  ['dispatch', 'dispatch (images, queue, pick-up)'],
  ['prepare', 'runner: preparing the executor'],
  ['in', 'runner: sources, cache, artifacts in'],
  ['script', 'job scripts'],
  ['out', 'runner: cache, artifacts out, cleanup'],
  ['finish', 'runner: removing containers, final update'],
];

export function glciBreakdown(timings: PipelineTimings): GlciRunBreakdown {
  const seconds = (ms: number) => ms / 1000;
  const from = (ms: number) => seconds(ms - timings.startMs);
  const phases: Record<string, number> = {};
  for (const span of timings.phases) phases[span.name] = seconds(span.endMs - span.startMs);
  const jobs: Record<string, JobWindow & { kinds: Record<string, number> }> = {};
  for (const job of timings.jobs) {
    if (job.startedAt === undefined || job.finishedAt === undefined) continue;
    const kinds: Record<string, number> = {};
    for (const span of job.spans) {
      const column = KINDS.find(([, category]) => category === spanCategory(span.name))?.[0] ?? 'other';
      kinds[column] = (kinds[column] ?? 0) + seconds(span.endMs - span.startMs);
    }
    const first = job.spans[0]?.startMs ?? job.startedAt;
    jobs[job.name] = { start: from(first), end: from(job.finishedAt), kinds };
  }
  const criticalKinds: Record<string, number> = {
    glci: Object.values(phases).reduce((sum, value) => sum + value, 0),
  };
  for (const name of timings.criticalPath) {
    for (const [kind, value] of Object.entries(jobs[name]?.kinds ?? {})) {
      criticalKinds[kind] = (criticalKinds[kind] ?? 0) + value;
    }
  }
  return {
    total: timings.endMs === undefined ? Number.NaN : seconds(timings.endMs - timings.startMs),
    phases,
    jobs,
    criticalPath: timings.criticalPath,
    criticalKinds,
  };
}

/**
 * Each job's window from gitlab-ci-local's output: from its `NAME  starting IMAGE (STAGE)` line to
 * its `NAME  finished in …` line, as they arrived (seconds from the spawn).
 */
export function gitlabCiLocalJobWindows(lines: readonly TimedLine[]): Record<string, JobWindow> {
  const starts = new Map<string, number>();
  const windows: Record<string, JobWindow> = {};
  for (const line of lines) {
    const start = /^(\S+) +starting \S/.exec(line.text);
    if (start && !starts.has(start[1]!)) starts.set(start[1]!, line.seconds);
    const end = /^(\S+) +finished in /.exec(line.text);
    if (end && starts.has(end[1]!)) windows[end[1]!] = { start: starts.get(end[1]!)!, end: line.seconds };
  }
  return windows;
}

const s = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '-' : value.toFixed(2);

/**
 * The table the pipeline rows print under the results: per job, the median over the rounds of
 * when it started and how long it took in each tool, and glci's time by kind; then glci's phases
 * before its first job and its critical path.
 */
export function formatBreakdown(
  title: string,
  glci: readonly GlciRunBreakdown[],
  gitlabCiLocal: readonly Record<string, JobWindow>[],
): string[] {
  if (glci.length === 0) return [];
  const names = [...new Set(glci.flatMap((run) => Object.keys(run.jobs)))];
  const med = (values: (number | undefined)[]) => {
    const present = values.filter((value): value is number => value !== undefined && !Number.isNaN(value));
    return present.length > 0 ? median(present) : undefined;
  };
  const header = [
    'job',
    'gcl start',
    'gcl took',
    'glci start',
    'glci took',
    ...KINDS.map(([column]) => column),
  ];
  const rows: string[][] = [header];
  for (const name of names) {
    const runs = glci.map((run) => run.jobs[name]);
    const gcl = gitlabCiLocal.map((windows) => windows[name]);
    rows.push([
      name,
      s(med(gcl.map((window) => window?.start))),
      s(med(gcl.map((window) => (window ? window.end - window.start : undefined)))),
      s(med(runs.map((run) => run?.start))),
      s(med(runs.map((run) => (run ? run.end - run.start : undefined)))),
      ...KINDS.map(([column]) => s(med(runs.map((run) => (run ? (run.kinds[column] ?? 0) : undefined))))),
    ]);
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const render = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
      .join('  ');
  const phases = Object.keys(glci[0]!.phases).map(
    (phase) => `${phase} ${s(med(glci.map((run) => run.phases[phase])))}`,
  );
  const paths = [...new Set(glci.map((run) => run.criticalPath.join(' → ')))];
  const kinds = ['glci', ...KINDS.map(([column]) => column)];
  const along = kinds.map((kind) => `${kind} ${s(med(glci.map((run) => run.criticalKinds[kind] ?? 0)))}`);
  const ours = med(
    glci.map(
      (run) =>
        (run.criticalKinds.glci ?? 0) + (run.criticalKinds.wait ?? 0) + (run.criticalKinds.dispatch ?? 0),
    ),
  );
  const runner = med(
    glci.map(
      (run) =>
        (run.criticalKinds.prepare ?? 0) +
        (run.criticalKinds.in ?? 0) +
        (run.criticalKinds.out ?? 0) +
        (run.criticalKinds.finish ?? 0),
    ),
  );
  return [
    `${title} (seconds, median of ${glci.length} round${glci.length === 1 ? '' : 's'}; glci from glci log --timings, gitlab-ci-local from its output)`,
    render(rows[0]!),
    '-'.repeat(render(rows[0]!).length),
    ...rows.slice(1).map(render),
    `glci before its first job: ${phases.join(', ') || '-'}`,
    `glci's critical path: ${paths.join(' | ')}; along it: ${along.join(', ')}`,
    `  of which glci's own (before the first job, waits, dispatch): ${s(ours)}; the runner's (prepare, in, out, finish): ${s(runner)}; the scripts: ${s(med(glci.map((run) => run.criticalKinds.script ?? 0)))}`,
  ];
}
