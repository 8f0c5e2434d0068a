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
}

/**
 * A job's output live from Docker, before the runner uploads it. The runner sends a job's log
 * to GitLab on a timer (the first upload three seconds after it picks the job up, whatever the
 * server asks), but its helper and build containers write through Docker's log driver as they
 * go. So while a job is followed, every start of one of its containers (each stage starts the
 * helper or the build container again) is followed from Docker's log stream, from where the
 * previous run of that container ended, and its lines are handed on masked as the runner would
 * mask them. The runner's log stays the record (history, `glci log`); this is a preview of it,
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
    const followed: Followed = { masker, onLines };
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
    void this.#stream(jobId, container, type, followed).catch((error: unknown) =>
      this.#logger.debug('live output of a container ended early', { jobId, error: String(error) }),
    );
  }

  /** One run of one container: its lines from where its previous run ended, until it stops. */
  async #stream(jobId: number, id: string, type: string, followed: Followed): Promise<void> {
    const container = this.#docker.getContainer(id);
    const { State } = await container.inspect();
    // Its process may write before Docker records the start, so not "since it started".
    const previousEnd =
      State.FinishedAt && !State.FinishedAt.startsWith('0001-') && State.FinishedAt < State.StartedAt
        ? State.FinishedAt
        : undefined;
    const stream = (await container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      ...(previousEnd ? { since: dockerSince(previousEnd) as unknown as number } : {}),
    })) as unknown as Readable;
    const outputs = { stdout: new PassThrough(), stderr: new PassThrough() };
    this.#docker.modem.demuxStream(stream, outputs.stdout, outputs.stderr);
    const done = (['stdout', 'stderr'] as const).map((name) => {
      const decoder = new StringDecoder('utf8');
      let pending = '';
      const emit = (text: string) => {
        if (text && this.#followed.get(jobId) === followed) {
          followed.onLines({ jobId, container: type, stream: name, text: followed.masker.mask(text) });
        }
      };
      outputs[name].on('data', (chunk: Buffer) => {
        pending += decoder.write(chunk);
        const end = pending.lastIndexOf('\n');
        if (end === -1) return;
        emit(pending.slice(0, end + 1));
        pending = pending.slice(end + 1);
      });
      return new Promise<void>((resolve) =>
        outputs[name].on('end', () => {
          emit(pending + decoder.end());
          resolve();
        }),
      );
    });
    stream.on('end', () => {
      outputs.stdout.end();
      outputs.stderr.end();
    });
    stream.on('error', () => {
      outputs.stdout.end();
      outputs.stderr.end();
    });
    await Promise.all(done);
  }
}
