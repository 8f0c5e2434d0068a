import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  formatTimings,
  type JobRecord,
  pipelineTimings,
  stripAnsi,
  TraceParser,
  TraceRenderer,
  timelineSvg,
} from '@glci/daemon';
import type { CliContext } from '../../cli-context.js';
import {
  type FoundPipeline,
  resolveJob,
  resolvePipeline,
  splitPipelineAndJob,
} from '../history/history-session.js';
import { UsageError } from '../registry/usage-error.js';

export interface LogOptions {
  readonly expand?: boolean;
  readonly raw?: boolean;
  readonly color: boolean;
  readonly json?: boolean;
  readonly timings?: boolean;
  readonly svg?: string;
}

/** Colours when stdout is a terminal, unless --no-color or NO_COLOR says otherwise. */
function useColor(ctx: CliContext, options: LogOptions): boolean {
  const terminal = (ctx.out as NodeJS.WriteStream).isTTY === true;
  return terminal && options.color && !ctx.env.NO_COLOR;
}

export async function logCommand(
  ctx: CliContext,
  first: string | undefined,
  second: string | undefined,
  options: LogOptions,
): Promise<void> {
  if (options.raw && options.json) throw new UsageError('--raw and --json cannot be combined');
  if (options.timings || options.svg !== undefined) {
    await timingsCommand(ctx, first, second, options);
    return;
  }
  const { pipeline, job } = splitPipelineAndJob(first, second);
  const found = await resolvePipeline(ctx, pipeline);
  const jobs = job === undefined ? found.record.jobs : [resolveJob(found, job)];
  if (options.json) {
    const entries = [];
    for (const entry of jobs) entries.push({ ...entry, ...(await plainLog(found, entry)) });
    ctx.out.write(`${JSON.stringify({ pipeline: found.record, jobs: entries }, null, 2)}\n`);
    return;
  }
  if (options.raw) {
    for (const entry of jobs) ctx.out.write(await readLog(found, entry));
    return;
  }
  const nameWidth = Math.max(0, ...jobs.map((entry) => entry.name.length));
  const color = useColor(ctx, options);
  for (const entry of jobs) {
    const renderer = new TraceRenderer({
      jobName: entry.name,
      nameWidth,
      color,
      expand: options.expand ?? false,
    });
    let printed = 0;
    const print = (lines: readonly string[]) => {
      printed += lines.length;
      if (lines.length > 0) ctx.out.write(`${lines.join('\n')}\n`);
    };
    if (entry.id !== undefined) {
      const stream = await found.project.job(found.record.id, entry.id).traceStream();
      for await (const chunk of stream) print(renderer.push(chunk as Buffer));
    }
    print(renderer.end());
    if (printed === 0) ctx.out.write(`${entry.name.padEnd(nameWidth)} | (no log: ${noLogReason(entry)})\n`);
  }
}

/** `glci log --timings [PIPELINE] [--svg FILE]`: where the pipeline's time went. */
async function timingsCommand(
  ctx: CliContext,
  first: string | undefined,
  second: string | undefined,
  options: LogOptions,
): Promise<void> {
  if (options.raw || options.expand)
    throw new UsageError('--timings cannot be combined with --raw or --expand');
  const { pipeline, job } = splitPipelineAndJob(first, second);
  if (job !== undefined) {
    throw new UsageError(`--timings takes a pipeline id, not a job ("${job}"): it shows every job`);
  }
  const found = await resolvePipeline(ctx, pipeline);
  const traces = new Map<number, Buffer>();
  for (const entry of found.record.jobs) {
    if (entry.id !== undefined) traces.set(entry.id, await readLog(found, entry));
  }
  const timings = pipelineTimings(found.record, traces);
  if (options.svg !== undefined) {
    const file = path.resolve(ctx.cwd, options.svg);
    await writeFile(file, timelineSvg(timings));
    if (!options.json) process.stderr.write(`glci: timeline written to ${file}\n`);
  }
  if (options.json) {
    ctx.out.write(`${JSON.stringify(timings, null, 2)}\n`);
    return;
  }
  ctx.out.write(`${formatTimings(timings).join('\n')}\n`);
}

/** A job's raw log; a job that never ran has none. */
async function readLog(found: FoundPipeline, job: JobRecord): Promise<Buffer> {
  return job.id === undefined
    ? Buffer.alloc(0)
    : await found.project.job(found.record.id, job.id).readTrace();
}

function noLogReason(job: JobRecord): string {
  if (job.status === 'skipped' || job.status === 'manual' || job.status === 'created')
    return `the job is ${job.status}`;
  if (job.status === 'pending') return 'the job has not started';
  return `the job is ${job.status} and wrote none`;
}

/**
 * A job's log for scripts: the plain lines (no escapes, sections open) and the sections with
 * their times.
 */
async function plainLog(found: FoundPipeline, job: JobRecord) {
  const parser = new TraceParser();
  const events = [...parser.push(await readLog(found, job)), ...parser.end()];
  const lines: string[] = [];
  const sections: { name: string; header: string; start: number; end?: number }[] = [];
  for (const event of events) {
    if (event.kind === 'line') lines.push(stripAnsi(event.text));
    else if (event.kind === 'section-start') {
      sections.push({ name: event.name, header: stripAnsi(event.header), start: event.time });
    } else {
      const open = sections.findLast((section) => section.name === event.name && section.end === undefined);
      if (open) open.end = event.time;
    }
  }
  return { lines, sections };
}
