import { StringDecoder } from 'node:string_decoder';
// The light entries: `glci run` starts faster without the daemon's server or dockerode.
import { formatSectionDuration, jobColour, stripAnsi, TraceRenderer } from '@glci/daemon/trace';
import { PullProgressTracker } from '@glci/docker/pull-progress';
import type { RunStarted, WireEvent } from '@glci/executor';
import { formatTable, humanSize } from '../system/format.js';

type JobEvent = Extract<WireEvent, { type: 'job' }>;

interface JobLine {
  readonly pipelineId: number;
  readonly name: string;
  readonly stage: string;
  status: string;
  attempt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  allowedFailure?: boolean;
}

/** Status marks and their colours (SGR): what a job line starts with. */
const MARKS: Readonly<Record<string, readonly [string, number]>> = {
  pending: ['…', 90],
  running: ['▶', 36],
  success: ['✔', 32],
  failed: ['✖', 31],
  canceled: ['⊘', 90],
  skipped: ['○', 90],
  manual: ['⏸', 33],
  scheduled: ['◷', 33],
};

/**
 * What `glci run` prints: a header, each job's state changes and log lines prefixed with its
 * name (the daemon's `TraceRenderer`: timestamps stripped, sections folded), image pulls as a
 * progress line now and then, and a summary table at the end. With `json`, every event is one
 * JSON line instead (log chunks as text).
 *
 * On a terminal (`live`), a job's output as its containers write it (the daemon's `live` events,
 * from Docker) shows at once on a status line under the log, replaced by the next and cleared
 * before the log goes on: the runner uploads its log seconds later, and what stays on the screen
 * is that log, exactly as `glci log` prints it.
 */
export class RunView {
  readonly #out: NodeJS.WritableStream;
  readonly #json: boolean;
  readonly #color: boolean;
  readonly #expand: boolean;
  readonly #started: RunStarted;
  readonly #renderers = new Map<string, TraceRenderer>();
  /** Log bytes shown per job. */
  readonly #traceOffsets = new Map<string, number>();
  /** The last state shown per job, so a replayed event is not shown twice. */
  readonly #shownStates = new Map<string, string>();
  readonly #decoders = new Map<string, StringDecoder>();
  readonly #jobs = new Map<string, JobLine>();
  readonly #pulls = new Map<string, { tracker: PullProgressTracker; shownAt: number; done: boolean }>();
  readonly #live: boolean;
  readonly #columns: () => number;
  /** A status line (live output) is on the screen, under the cursor's line. */
  #status = false;
  #nameWidth: number;

  constructor(options: {
    out: NodeJS.WritableStream;
    json: boolean;
    color: boolean;
    expand: boolean;
    started: RunStarted;
    /** A terminal: show live output on a status line (never with `json`). */
    live?: boolean;
    /** The terminal's width, for the status line (which must not wrap). */
    columns?: () => number;
  }) {
    this.#out = options.out;
    this.#json = options.json;
    this.#color = options.color;
    this.#expand = options.expand;
    this.#started = options.started;
    this.#live = (options.live ?? false) && !options.json;
    this.#columns = options.columns ?? (() => 80);
    this.#nameWidth = Math.max(4, ...options.started.jobs.map((job) => job.name.length));
  }

  begin(): void {
    const started = this.#started;
    if (this.#json) {
      this.#write({ type: 'pipeline', ...started });
      return;
    }
    const title = started.name ? ` "${started.name}"` : '';
    this.#line(
      this.#bold(
        `pipeline #${started.pipelineId}${title} for ${started.context} at ${started.sha.slice(0, 8)}: ${started.jobs.length} jobs in ${started.stages.length} stages${started.excluded ? ` (${started.excluded} excluded by rules)` : ''}`,
      ),
    );
  }

  /** A message of glci's own (cancel requested, a reconnect). */
  note(message: string): void {
    if (this.#json) this.#write({ type: 'note', message });
    else this.#line(this.#dim(`glci: ${message}`));
  }

  event(event: WireEvent): void {
    if (this.#json) {
      this.#write(event.type === 'trace' ? this.#traceText(event) : event);
      return;
    }
    switch (event.type) {
      case 'pipeline-started':
        if (event.parentPipelineId !== undefined) {
          for (const job of event.jobs) this.#nameWidth = Math.max(this.#nameWidth, job.name.length);
          this.#line(this.#bold(`child pipeline #${event.pipelineId} started (${event.jobs.length} jobs)`));
        }
        break;
      case 'job':
        this.#job(event);
        break;
      case 'trace': {
        // After a reconnect the events come again from the start: each byte is shown once.
        const key = `${event.pipelineId}/${event.jobId}`;
        const shown = this.#traceOffsets.get(key) ?? 0;
        let data = Buffer.from(event.data, 'base64');
        if (event.offset + data.length <= shown) break;
        if (event.offset < shown) data = data.subarray(shown - event.offset);
        this.#traceOffsets.set(key, Math.max(shown, event.offset + Buffer.from(event.data, 'base64').length));
        const renderer = this.#renderer(event.pipelineId, event.name);
        for (const line of renderer.push(data)) this.#line(line);
        break;
      }
      case 'pull':
        this.#pull(event);
        break;
      case 'live':
        this.#liveLine(event);
        break;
      case 'notice':
        this.note(event.message);
        break;
      case 'pipeline-finished':
        if (event.pipelineId !== this.#started.pipelineId) {
          this.#line(this.#bold(`child pipeline #${event.pipelineId} ${event.status}`));
        }
        break;
    }
  }

  end(finished: Extract<WireEvent, { type: 'pipeline-finished' }> | undefined): void {
    this.#clearStatus();
    for (const renderer of this.#renderers.values()) for (const line of renderer.end()) this.#line(line);
    if (this.#json) return;
    const rows = [...this.#jobs.values()].map((job) => [
      job.pipelineId === this.#started.pipelineId ? job.name : `${job.name} (#${job.pipelineId})`,
      job.stage,
      job.allowedFailure
        ? 'failed (allowed)'
        : job.attempt > 1
          ? `${job.status} (attempt ${job.attempt})`
          : job.status,
      job.startedAt !== undefined && job.finishedAt !== undefined
        ? formatSectionDuration(Math.round((job.finishedAt - job.startedAt) / 1000))
        : '',
      job.exitCode !== undefined ? String(job.exitCode) : '',
    ]);
    this.#out.write('\n');
    this.#out.write(formatTable(['JOB', 'STAGE', 'STATUS', 'DURATION', 'EXIT'], rows));
    if (finished?.error)
      this.#line(this.#paint(`the daemon could not run the pipeline: ${finished.error}`, 31, true));
    const status = finished?.status ?? 'unknown (the daemon stopped answering)';
    const took = finished ? ` in ${formatSectionDuration(Math.round(finished.durationMs / 1000))}` : '';
    const colour = status === 'success' ? 32 : status === 'failed' ? 31 : 33;
    this.#line(this.#paint(`pipeline #${this.#started.pipelineId} ${status}${took}`, colour, true));
  }

  #job(event: JobEvent): void {
    const key = `${event.pipelineId}/${event.name}`;
    const shown = `${event.attempt}/${event.status}`;
    if (this.#shownStates.get(key) === shown) return;
    this.#shownStates.set(key, shown);
    const job = this.#jobs.get(key) ?? {
      pipelineId: event.pipelineId,
      name: event.name,
      stage: event.stage,
      status: 'created',
      attempt: 1,
    };
    this.#jobs.set(key, job);
    if (event.attempt !== job.attempt) {
      job.startedAt = undefined;
      job.finishedAt = undefined;
      this.#renderers.delete(key);
    }
    job.status = event.status;
    job.attempt = event.attempt;
    job.reason = event.reason;
    if (event.allowedFailure) job.allowedFailure = true;
    if (event.exitCode !== undefined) job.exitCode = event.exitCode;
    if (event.status === 'running') job.startedAt = event.at;
    if (['success', 'failed', 'canceled', 'skipped'].includes(event.status)) job.finishedAt = event.at;
    if (event.status === 'created') return;
    const [mark, colour] = MARKS[event.status] ?? ['·', 90];
    const name = this.#paint(event.name.padEnd(this.#nameWidth), jobColour(event.name), false);
    const detail = this.#describe(event, job);
    this.#line(`${name} ${this.#paint(mark, colour, false)} ${detail}`);
  }

  #describe(event: JobEvent, job: JobLine): string {
    const took =
      job.startedAt !== undefined && job.finishedAt !== undefined
        ? ` in ${formatSectionDuration(Math.round((job.finishedAt - job.startedAt) / 1000))}`
        : '';
    switch (event.status) {
      case 'pending':
        return event.attempt > 1 ? `queued again (attempt ${event.attempt})` : 'queued';
      case 'running':
        return `running${event.jobId !== undefined ? ` (job ${event.jobId})` : ''}`;
      case 'success':
        return `passed${took}`;
      case 'failed':
        return `${event.allowedFailure ? 'failed, allowed' : 'failed'}${took}${event.exitCode !== undefined ? ` with exit code ${event.exitCode}` : ''}${event.failureReason && event.failureReason !== 'script_failure' ? ` (${event.failureReason})` : ''}${event.reason ? `: ${event.reason}` : ''}`;
      case 'scheduled':
        return event.reason ?? 'scheduled';
      default:
        return `${event.status}${event.reason ? `: ${event.reason}` : ''}`;
    }
  }

  #pull(event: Extract<WireEvent, { type: 'pull' }>): void {
    const key = event.progress.image;
    let pull = this.#pulls.get(key);
    if (!pull) {
      pull = { tracker: new PullProgressTracker(), shownAt: 0, done: false };
      this.#pulls.set(key, pull);
      this.#line(this.#dim(`pulling ${key} through glci's cache for ${event.name}`));
    }
    pull.tracker.update(event.progress);
    const summary = pull.tracker.summary();
    const now = Date.now();
    const complete = event.progress.status === 'Pulled';
    if (complete && !pull.done) {
      pull.done = true;
      this.#line(this.#dim(`pulled ${key}: ${summary.layers} layers, ${humanSize(summary.total)}`));
    } else if (!complete && now - pull.shownAt > 2_000 && summary.total > 0) {
      pull.shownAt = now;
      const percent = Math.round((summary.current / summary.total) * 100);
      this.#line(
        this.#dim(
          `pulling ${key}: ${percent}% (${humanSize(summary.current)} of ${humanSize(summary.total)})`,
        ),
      );
    }
  }

  #renderer(pipelineId: number, name: string): TraceRenderer {
    const key = `${pipelineId}/${name}`;
    let renderer = this.#renderers.get(key);
    if (!renderer) {
      renderer = new TraceRenderer({
        jobName: name,
        nameWidth: this.#nameWidth,
        color: this.#color,
        expand: this.#expand,
      });
      this.#renderers.set(key, renderer);
    }
    return renderer;
  }

  /** A log chunk for scripts: UTF-8 text, never split inside a character. */
  #traceText(event: Extract<WireEvent, { type: 'trace' }>) {
    const key = `${event.pipelineId}/${event.jobId}`;
    let decoder = this.#decoders.get(key);
    if (!decoder) {
      decoder = new StringDecoder('utf8');
      this.#decoders.set(key, decoder);
    }
    const { data: _data, ...rest } = event;
    return { ...rest, text: decoder.write(Buffer.from(event.data, 'base64')) };
  }

  /** The newest live line, on the status line (dim, cut to the terminal's width). */
  #liveLine(event: Extract<WireEvent, { type: 'live' }>): void {
    if (!this.#live) return;
    const lines = event.text
      .split('\n')
      .map((line) => stripAnsi(line.slice(line.lastIndexOf('\r') + 1)).trimEnd());
    const last = lines.findLast((line) => line.length > 0);
    if (last === undefined) return;
    const text = `${event.name.padEnd(this.#nameWidth)} ⋮ ${last}`.slice(
      0,
      Math.max(10, this.#columns() - 1),
    );
    this.#out.write(`\r\u001b[2K${this.#dim(text)}`);
    this.#status = true;
  }

  #clearStatus(): void {
    if (!this.#status) return;
    this.#out.write('\r\u001b[2K');
    this.#status = false;
  }

  #write(value: unknown): void {
    this.#out.write(`${JSON.stringify(value)}\n`);
  }

  #line(text: string): void {
    this.#clearStatus();
    this.#out.write(`${text}\n`);
  }

  #paint(text: string, colour: number, bold: boolean): string {
    if (!this.#color) return text;
    return `\u001b[${bold ? '1;' : ''}${colour}m${text}\u001b[0m`;
  }

  #bold(text: string): string {
    return this.#color ? `\u001b[1m${text}\u001b[0m` : text;
  }

  #dim(text: string): string {
    return this.#color ? `\u001b[2m${text}\u001b[0m` : text;
  }
}
