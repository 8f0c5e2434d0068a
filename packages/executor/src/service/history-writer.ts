import { PassThrough } from 'node:stream';
import type { Logger } from '@glci/config';
import type { JobRecord, PipelineRecord, ProjectHistory, TraceWriter } from '@glci/daemon';
import type { ExecutionEvent } from '../execution-events.js';
import type { ArtifactInfo, MockClient } from '../mock-client.js';
import { FINISHED } from '../scheduler.js';

/**
 * Writes a pipeline's events into the history (`@glci/daemon`'s `ProjectHistory`): the record
 * (pipeline and job statuses, times, exit codes), each job's raw log as it arrives, and its
 * artifacts when it ends. Writes of one job's log happen in order; a failed write is logged and
 * does not stop the pipeline.
 */
export class HistoryWriter {
  readonly #history: ProjectHistory;
  readonly #client: MockClient;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #traces = new Map<string, { writer: Promise<TraceWriter>; chain: Promise<unknown> }>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: { history: ProjectHistory; client: MockClient; logger: Logger; now?: () => Date }) {
    this.#history = options.history;
    this.#client = options.client;
    this.#logger = options.logger.child({ module: 'history-writer' });
    this.#now = options.now ?? (() => new Date());
  }

  /** Everything written so far is on disk. */
  flushed(): Promise<void> {
    return Promise.allSettled([this.#queue, ...[...this.#traces.values()].map((trace) => trace.chain)]).then(
      () => undefined,
    );
  }

  apply(event: ExecutionEvent): void {
    switch (event.type) {
      case 'pipeline-started':
        this.#update(event.pipelineId, (record) => ({
          ...record,
          status: 'running',
          startedAt: this.#now().toISOString(),
          jobs: event.jobs.map((job) => ({
            name: job.name,
            stage: job.stage,
            status: job.status,
            attempt: 1,
            ...(job.needs ? { needs: [...job.needs] } : {}),
          })),
        }));
        break;
      case 'job':
        this.#update(event.pipelineId, (record) => ({ ...record, jobs: this.#withJob(record.jobs, event) }));
        if (event.jobId !== undefined && FINISHED.has(event.status))
          this.#closeTrace(event.pipelineId, event.jobId);
        break;
      case 'trace':
        this.#appendTrace(event.pipelineId, event.jobId, event.data);
        break;
      case 'pipeline-finished':
        this.#update(event.pipelineId, (record) => ({
          ...record,
          status: event.status,
          finishedAt: this.#now().toISOString(),
          durationMs: event.durationMs,
        }));
        break;
      case 'pull':
      case 'live':
      case 'notice':
        // Not the record: the runner's log (the `trace` events) is.
        break;
    }
  }

  /** Copies a finished job's artifacts from the mock into its history directory. */
  async storeArtifacts(
    job: { pipelineId: number; jobId: number },
    artifacts: readonly ArtifactInfo[],
  ): Promise<void> {
    const files = this.#history.job(job.pipelineId, job.jobId);
    for (const artifact of artifacts) {
      if (artifact.type === 'archive' && artifact.format !== 'zip') continue;
      const stream = new PassThrough();
      const writing = files.writeArtifact({ type: artifact.type, format: artifact.format }, stream);
      await Promise.all([this.#client.downloadArtifact(job.jobId, artifact.type, stream), writing]);
    }
  }

  #withJob(jobs: readonly JobRecord[], event: Extract<ExecutionEvent, { type: 'job' }>): JobRecord[] {
    const list = [...jobs];
    let index = list.findIndex((job) => job.name === event.name && (job.attempt ?? 1) === event.attempt);
    if (index < 0) {
      // A retry: a record of its own, waiting for what the first attempt waited for.
      const first = list.find((job) => job.name === event.name);
      list.push({
        name: event.name,
        stage: event.stage,
        status: 'created',
        attempt: event.attempt,
        ...(first?.needs ? { needs: first.needs } : {}),
      });
      index = list.length - 1;
    }
    const at = new Date(event.at).toISOString();
    const previous = list[index]!;
    const status = event.status;
    const started = status === 'running' && !previous.startedAt ? { startedAt: at } : {};
    const finished =
      FINISHED.has(event.status) && !previous.finishedAt
        ? {
            finishedAt: at,
            ...(previous.startedAt ? { durationMs: Date.parse(at) - Date.parse(previous.startedAt) } : {}),
          }
        : {};
    list[index] = {
      ...previous,
      status,
      ...(event.jobId !== undefined ? { id: event.jobId } : {}),
      ...(previous.createdAt ? {} : { createdAt: at }),
      ...(event.queuedAt !== undefined && !previous.queuedAt
        ? { queuedAt: new Date(event.queuedAt).toISOString() }
        : {}),
      ...started,
      ...finished,
      ...(event.allowedFailure ? { allowFailure: true } : {}),
      ...(event.exitCode !== undefined ? { exitCode: event.exitCode } : {}),
      ...(event.failureReason ? { failureReason: event.failureReason } : {}),
    };
    return list;
  }

  #update(pipelineId: number, change: (record: PipelineRecord) => PipelineRecord): void {
    this.#queue = this.#queue
      .then(() => this.#history.updatePipeline(pipelineId, change))
      .catch((error: unknown) =>
        this.#logger.warn('history update failed', { pipelineId, error: String(error) }),
      );
  }

  #appendTrace(pipelineId: number, jobId: number, data: Buffer): void {
    const key = `${pipelineId}/${jobId}`;
    let trace = this.#traces.get(key);
    if (!trace) {
      const writer = this.#history.job(pipelineId, jobId).openTrace();
      trace = { writer, chain: writer };
      this.#traces.set(key, trace);
    }
    const { writer } = trace;
    trace.chain = trace.chain
      .then(async () => (await writer).write(data))
      .catch((error: unknown) =>
        this.#logger.warn('writing a job log failed', { pipelineId, jobId, error: String(error) }),
      );
  }

  #closeTrace(pipelineId: number, jobId: number): void {
    const key = `${pipelineId}/${jobId}`;
    const trace = this.#traces.get(key);
    if (!trace) return;
    this.#traces.delete(key);
    void trace.chain.then(async () => (await trace.writer).close()).catch(() => undefined);
  }
}
