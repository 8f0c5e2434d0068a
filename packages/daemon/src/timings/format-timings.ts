import type { PipelineTimings, TimedSpan } from './pipeline-timings.js';

/** What a span's time is spent on, for the critical path's summary. */
export function spanCategory(name: string): string {
  if (['cli', 'planning', 'infrastructure', 'repository'].includes(name)) return 'glci before the first job';
  if (name === 'wait') return 'glci between jobs';
  if (name === 'prepare' || name === 'dispatch') return 'dispatch (images, queue, pick-up)';
  if (
    name === 'prepare_executor' ||
    name === 'prepare_script' ||
    name === 'runner start' ||
    name === 'runner'
  )
    return 'runner: preparing the executor';
  if (['get_sources', 'clear_worktree', 'restore_cache', 'download_artifacts'].includes(name))
    return 'runner: sources, cache, artifacts in';
  if (name.startsWith('step_') || name === 'build_script' || name === 'after_script') return 'job scripts';
  if (
    name.startsWith('archive_cache') ||
    name.startsWith('upload_artifacts') ||
    name === 'cleanup_file_variables'
  )
    return 'runner: cache, artifacts out, cleanup';
  if (name === 'finish') return 'runner: removing containers, final update';
  return 'other';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const duration = (span: Pick<TimedSpan, 'startMs' | 'endMs'>) => span.endMs - span.startMs;

/**
 * `glci log --timings`: the phases before the first job, each job's spans with their durations
 * (times from `glci run`'s start), the critical path, and where its time went by kind.
 */
export function formatTimings(timings: PipelineTimings): string[] {
  const at = (ms: number) => seconds(ms - timings.startMs);
  const lines: string[] = [];
  const total = timings.endMs === undefined ? undefined : timings.endMs - timings.startMs;
  lines.push(
    `pipeline #${timings.pipelineId} ${timings.status}${total === undefined ? ' (not finished)' : `: ${seconds(total)} from glci run's start to the end`}`,
  );
  const width = Math.max(
    16,
    ...timings.phases.map((span) => span.name.length),
    ...timings.jobs.flatMap((job) => job.spans.map((span) => span.name.length)),
  );
  const row = (span: TimedSpan) =>
    `    ${span.name.padEnd(width)} ${seconds(duration(span)).padStart(9)}   ${span.label}`;
  if (timings.phases.length > 0) {
    const first = timings.phases[0]!.startMs;
    const last = timings.phases.at(-1)!.endMs;
    lines.push('', `  before the first job: ${seconds(last - first)}`);
    for (const span of timings.phases) lines.push(row(span));
  }
  for (const job of timings.jobs) {
    const took =
      job.startedAt !== undefined && job.finishedAt !== undefined
        ? `, ran ${at(job.startedAt)} → ${at(job.finishedAt)} (${seconds(job.finishedAt - job.startedAt)})`
        : '';
    const attempt = job.attempt > 1 ? ` attempt ${job.attempt}` : '';
    lines.push(
      '',
      `  ${job.name}${attempt} (${job.stage}, ${job.status})${took}${job.critical ? '  [critical path]' : ''}`,
    );
    for (const span of job.spans) lines.push(row(span));
  }
  if (timings.criticalPath.length > 0) {
    lines.push('', `  critical path: ${timings.criticalPath.join(' → ')}`);
    const byKind = new Map<string, number>();
    const count = (span: TimedSpan) => {
      const kind = spanCategory(span.name);
      byKind.set(kind, (byKind.get(kind) ?? 0) + duration(span));
    };
    for (const span of timings.phases) count(span);
    for (const job of timings.jobs.filter((candidate) => candidate.critical))
      for (const span of job.spans) count(span);
    const kindWidth = Math.max(...[...byKind.keys()].map((kind) => kind.length));
    for (const [kind, ms] of [...byKind].sort((a, b) => b[1] - a[1])) {
      const share = total ? ` ${((ms / total) * 100).toFixed(0).padStart(3)} %` : '';
      lines.push(`    ${kind.padEnd(kindWidth)} ${seconds(ms).padStart(9)}${share}`);
    }
  }
  return lines;
}
