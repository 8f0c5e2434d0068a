import type { JobRecord, PipelineRecord } from '../history/pipeline-record.js';
import { type TraceTimeline, traceTimeline } from './trace-timeline.js';

/** A stretch of time with a name: a phase of the pipeline's start, or of a job. */
export interface TimedSpan {
  /** `planning`, `dispatch`, a runner section's name (`step_script`), … */
  readonly name: string;
  /** In words: the runner's title for its sections, what glci did for its own phases. */
  readonly label: string;
  readonly startMs: number;
  readonly endMs: number;
}

export interface JobTimings {
  readonly name: string;
  readonly stage: string;
  readonly status: string;
  readonly attempt: number;
  readonly id?: number;
  /** When the jobs it waits for had all ended (the pipeline's start for the first ones). */
  readonly readyAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /**
   * Its time in order: `wait` (ready → the daemon let it start), `dispatch` (→ the runner picked it
   * up: its images, a runner slot, the queue), `runner start` (→ the first section), the runner's
   * sections, and `finish` (the last section's end → the final state: the runner removes its
   * containers, volumes and network before it reports).
   */
  readonly spans: readonly TimedSpan[];
  /** On the critical path. */
  readonly critical: boolean;
}

export interface PipelineTimings {
  readonly pipelineId: number;
  readonly status: string;
  /** `glci run`'s start when known, else when the daemon got the request, else the record's creation. */
  readonly startMs: number;
  readonly endMs?: number;
  /** Before the first job could start: `glci run → daemon`, `planning`, `mock and runner`, `repository`. */
  readonly phases: readonly TimedSpan[];
  readonly jobs: readonly JobTimings[];
  /** The chain of jobs that set the pipeline's duration, first to last: each one waited for the one before. */
  readonly criticalPath: readonly string[];
}

const PHASES: readonly [name: string, label: string, from: PhaseKey, to: PhaseKey][] = [
  ['cli', 'glci run → daemon (CLI start, daemon connection)', 'cliStartedAt', 'requestedAt'],
  ['planning', 'planning the pipeline', 'requestedAt', 'plannedAt'],
  ['infrastructure', 'the mock and runner containers', 'plannedAt', 'infrastructureReadyAt'],
  ['repository', 'the commit to the mock', 'infrastructureReadyAt', 'repositorySentAt'],
];
type PhaseKey = keyof NonNullable<PipelineRecord['phases']>;

/**
 * Where a pipeline's time went, from its record and its jobs' logs (`traces`, by job id): the
 * phases before the first job, each job's wait, dispatch and runner sections, and the critical
 * path — from the job that ended last back through, each time, the job it waited for longest.
 */
export function pipelineTimings(
  record: PipelineRecord,
  traces: ReadonlyMap<number, Uint8Array>,
): PipelineTimings {
  const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
  const phases: TimedSpan[] = [];
  for (const [name, label, from, to] of PHASES) {
    const startMs = ms(record.phases?.[from]);
    const endMs = ms(record.phases?.[to]);
    if (startMs !== undefined && endMs !== undefined) phases.push({ name, label, startMs, endMs });
  }
  const startMs =
    ms(record.phases?.cliStartedAt) ?? ms(record.phases?.requestedAt) ?? Date.parse(record.createdAt);
  const firstReady = ms(record.phases?.repositorySentAt) ?? ms(record.startedAt) ?? startMs;
  const stages = [...new Set(record.jobs.map((job) => job.stage))];
  const latest = latestAttempts(record.jobs);
  const prerequisites = (job: JobRecord): JobRecord[] => {
    if ((job.attempt ?? 1) > 1) {
      const earlier = record.jobs.filter(
        (other) => other.name === job.name && (other.attempt ?? 1) === (job.attempt ?? 1) - 1,
      );
      return earlier;
    }
    if (job.needs) return job.needs.map((name) => latest.get(name)).filter((other) => other !== undefined);
    const stage = stages.indexOf(job.stage);
    return [...latest.values()].filter((other) => stages.indexOf(other.stage) < stage);
  };
  const ended = (job: JobRecord) => ms(job.finishedAt);
  const readyOf = (job: JobRecord): { at: number; after?: JobRecord } => {
    let at = firstReady;
    let after: JobRecord | undefined;
    for (const other of prerequisites(job)) {
      const end = ended(other);
      if (end !== undefined && end >= at) {
        at = end;
        after = other;
      }
    }
    return { at, ...(after ? { after } : {}) };
  };

  // The critical path: from the job that ended last, back through what each one waited for.
  const path: JobRecord[] = [];
  let last = record.jobs
    .filter((job) => ended(job) !== undefined && job.startedAt !== undefined)
    .reduce<JobRecord | undefined>(
      (best, job) => (!best || ended(job)! > ended(best)! ? job : best),
      undefined,
    );
  while (last && !path.includes(last)) {
    path.unshift(last);
    last = readyOf(last).after;
  }

  const jobs = record.jobs.map((job): JobTimings => {
    const raw = job.id === undefined ? undefined : traces.get(job.id);
    const timeline = raw === undefined ? undefined : traceTimeline(raw);
    const ready = job.startedAt === undefined && job.createdAt === undefined ? undefined : readyOf(job).at;
    return {
      name: job.name,
      stage: job.stage,
      status: job.status,
      attempt: job.attempt ?? 1,
      ...(job.id !== undefined ? { id: job.id } : {}),
      ...(ready !== undefined ? { readyAt: ready } : {}),
      ...(job.startedAt ? { startedAt: Date.parse(job.startedAt) } : {}),
      ...(job.finishedAt ? { finishedAt: Date.parse(job.finishedAt) } : {}),
      spans: jobSpans(job, ready, timeline),
      critical: path.includes(job),
    };
  });
  return {
    pipelineId: record.id,
    status: record.status,
    startMs,
    ...(record.finishedAt ? { endMs: Date.parse(record.finishedAt) } : {}),
    phases,
    jobs,
    criticalPath: path.map((job) => job.name),
  };
}

/** Each job's latest attempt, by name. */
function latestAttempts(jobs: readonly JobRecord[]): Map<string, JobRecord> {
  const latest = new Map<string, JobRecord>();
  for (const job of jobs) {
    const current = latest.get(job.name);
    if (!current || (job.attempt ?? 1) > (current.attempt ?? 1)) latest.set(job.name, job);
  }
  return latest;
}

function jobSpans(
  job: JobRecord,
  readyAt: number | undefined,
  timeline: TraceTimeline | undefined,
): TimedSpan[] {
  const spans: TimedSpan[] = [];
  const add = (name: string, label: string, startMs: number | undefined, endMs: number | undefined) => {
    if (startMs === undefined || endMs === undefined || endMs < startMs) return;
    spans.push({ name, label, startMs, endMs });
  };
  const created = job.createdAt ? Date.parse(job.createdAt) : undefined;
  const queued = job.queuedAt ? Date.parse(job.queuedAt) : undefined;
  const started = job.startedAt ? Date.parse(job.startedAt) : undefined;
  const finished = job.finishedAt ? Date.parse(job.finishedAt) : undefined;
  add('wait', 'waiting for the jobs it needs to end', readyAt, created);
  if (queued !== undefined) {
    add('prepare', 'images and a runner slot', created, queued);
    add('dispatch', 'queued until the runner picked it up', queued, started);
  } else {
    add('dispatch', 'images, a runner slot, queued until the runner picked it up', created, started);
  }
  const sections = timeline?.sections ?? [];
  add('runner start', 'the runner, before its first section', started, sections[0]?.startMs);
  let previousEnd: number | undefined;
  for (const section of sections) {
    if (previousEnd !== undefined)
      add('runner', 'the runner, between sections', previousEnd, section.startMs);
    add(section.name, section.title, section.startMs, section.endMs ?? finished);
    previousEnd = section.endMs;
  }
  add('finish', 'the runner removes its containers and reports the end', previousEnd, finished);
  // Sub-millisecond steps and clock rounding leave empty spans: they say nothing.
  return spans.filter(
    (span) => span.endMs - span.startMs > 0 || !['runner', 'runner start'].includes(span.name),
  );
}
