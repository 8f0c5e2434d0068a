import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '@glci/config';
import { type DockerOrchestrator, dockerSince } from '@glci/docker';
import type { LiveMasker } from './live-masker.js';

/** The runner's labels on what it makes for a job (`executors/docker/internal/labels`). */
const RUNNER_LABEL = 'com.gitlab.gitlab-runner';
/** The containers whose output the runner puts in the log: the helper's stages and the script's. */
const LOGGED_TYPES = new Set(['predefined', 'build']);

/** Some of a job's output as its container wrote it: whole lines, masked. */
export interface LiveLines {
  readonly jobId: number;
  /** `predefined` (the runner's helper: sources, cache, artifacts) or `build` (the job's script). */
  readonly container: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

interface Followed {
  readonly masker: LiveMasker;
  readonly onLines: (lines: LiveLines) => void;
  /** Per container: its latest run, resolving with the log time of the last line read. */
  readonly containers: Map<string, Promise<string | undefined>>;
}

/**
 * A job's output live from Docker, before the runner uploads it. The runner sends a job's log
 * to GitLab on a timer (the first upload three seconds after it picks the job up, whatever the
 * server asks), but its helper and build containers write through Docker's log driver as they
 * go. So while a job is followed, every start of one of its containers (each stage starts the
 * helper or the build container again) is followed from Docker's log stream, from the line after
 * the last one read of that container's previous run (by Docker's log times), and its lines are
 * handed on masked as the runner would mask them. The runner's log stays the record (history, `glci log`); this is a preview of it,
 * line for line the same output (checked by `apps/glci`'s run tests).
 *
 * Containers are matched to jobs by the runner's own labels: its job id and the runner ids of
 * glci's entries (other runners on the same Docker host are not ours). The Docker event stream
 * is open only while some job is followed: nothing runs when no pipeline does.
 */
type Docker = DockerOrchestrator['docker'];

export class LiveOutput {
  readonly #docker: Docker;
  readonly #logger: Logger;
  readonly #runnerIds: () => readonly string[];
  readonly #followed = new Map<number, Followed>();
  #events: Readable | undefined;

  constructor(options: { docker: Docker; logger: Logger; runnerIds: () => readonly string[] }) {
    this.#docker = options.docker;
    this.#logger = options.logger.child({ module: 'live-output' });
    this.#runnerIds = options.runnerIds;
  }

  /** Follows a queued job's containers until the returned function is called. */
  follow(jobId: number, masker: LiveMasker, onLines: (lines: LiveLines) => void): () => void {
    const followed: Followed = { masker, onLines, containers: new Map() };
    this.#followed.set(jobId, followed);
    this.#subscribe();
    return () => {
      if (this.#followed.get(jobId) === followed) this.#followed.delete(jobId);
      if (this.#followed.size === 0) this.#unsubscribe();
    };
  }

  #subscribe(): void {
    if (this.#events) return;
    const events = new PassThrough();
    this.#events = events;
    this.#docker
      .getEvents({
        filters: { type: ['container'], event: ['start'], label: [`${RUNNER_LABEL}.managed=true`] },
      })
      .then((stream) => {
        const source = stream as unknown as Readable;
        if (this.#events !== events) {
          source.destroy();
          return;
        }
        events.on('close', () => source.destroy());
        source.pipe(events);
      })
      .catch((error: unknown) => {
        this.#logger.warn('no live output: the Docker event stream failed', { error: String(error) });
        if (this.#events === events) this.#events = undefined;
      });
    let pending = '';
    events.setEncoding('utf8');
    events.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.#onEvent(line);
    });
    events.on('error', () => undefined);
  }

  #unsubscribe(): void {
    this.#events?.destroy();
    this.#events = undefined;
  }

  #onEvent(line: string): void {
    let event: { id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    const labels = event.Actor?.Attributes ?? {};
    const jobId = Number(labels[`${RUNNER_LABEL}.job.id`]);
    const followed = this.#followed.get(jobId);
    const type = labels[`${RUNNER_LABEL}.type`] ?? '';
    const container = event.Actor?.ID ?? event.id;
    if (!followed || !container || !LOGGED_TYPES.has(type)) return;
    if (!this.#runnerIds().includes(labels[`${RUNNER_LABEL}.runner.id`] ?? '')) return;
    // One run of a container at a time: the next starts where the one before ended.
    const previous = followed.containers.get(container) ?? Promise.resolve(undefined);
    const run = previous.then((after) =>
      this.#stream(jobId, container, type, followed, after).catch((error: unknown) => {
        this.#logger.debug('live output of a container ended early', { jobId, error: String(error) });
        return after;
      }),
    );
    followed.containers.set(container, run);
  }

  /**
   * One run of one container: its lines after `after` (the log time of the last line read of
   * its previous run; everything for its first), until it stops. Resolves with the log time of
   * its last line. Docker stamps a line when it reads it, which may be after the process exited,
   * so neither the container's start nor its previous end bound a run's lines; the stamps do.
   */
  async #stream(
    jobId: number,
    id: string,
    type: string,
    followed: Followed,
    after: string | undefined,
  ): Promise<string | undefined> {
    const stream = (await this.#docker.getContainer(id).logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(after ? { since: nanosAfter(after) as unknown as number } : {}),
    })) as unknown as Readable;
    let last = after;
    const streams = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const emit = (name: 'stdout' | 'stderr', text: string) => {
      if (text && this.#followed.get(jobId) === followed) {
        followed.onLines({ jobId, container: type, stream: name, text: followed.masker.mask(text) });
      }
    };
    // Docker's log frames, one log entry each: 8-byte header (stream, size), then
    // `<RFC 3339 nanoseconds> <bytes>`.
    let buffered = Buffer.alloc(0);
    for await (const chunk of stream) {
      buffered = Buffer.concat([buffered, chunk as Buffer]);
      while (buffered.length >= 8) {
        const size = buffered.readUInt32BE(4);
        if (buffered.length < 8 + size) break;
        const name = buffered[0] === 2 ? 'stderr' : 'stdout';
        const entry = buffered.subarray(8, 8 + size);
        buffered = buffered.subarray(8 + size);
        const space = entry.indexOf(0x20);
        if (space > 0) last = entry.subarray(0, space).toString('latin1');
        emit(name, streams[name].push(entry.subarray(space + 1)));
      }
    }
    for (const name of ['stdout', 'stderr'] as const) emit(name, streams[name].end());
    return last;
  }
}

/** Bytes in, whole lines out (a trailing partial line at the end), UTF-8 never split. */
class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  push(bytes: Buffer): string {
    this.#pending += this.#decoder.write(bytes);
    const end = this.#pending.lastIndexOf('\n');
    if (end === -1) return '';
    const lines = this.#pending.slice(0, end + 1);
    this.#pending = this.#pending.slice(end + 1);
    return lines;
  }

  end(): string {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    return rest;
  }
}

/** Docker's `since` for "strictly after this log time": one nanosecond later, `seconds.nanoseconds`. */
export function nanosAfter(rfc3339: string): string {
  const [seconds, nanos] = dockerSince(rfc3339).split('.') as [string, string];
  const next = Number(nanos) + 1;
  return next >= 1e9 ? `${Number(seconds) + 1}.000000000` : `${seconds}.${String(next).padStart(9, '0')}`;
}
