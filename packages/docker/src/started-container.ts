import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from '@glci/config';
import type Docker from 'dockerode';
import type { FileToCopy } from './container-spec.js';
import { dockerCall } from './docker-call.js';
import { isNotFound, isNotModified } from './errors.js';
import type { ExecResult, StartedContainer } from './orchestrator.js';
import { createTar } from './tar.js';

/** A container glci started (or found by label), bound to the dockerode client. */
export class DockerStartedContainer implements StartedContainer {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly #docker: Docker;
  readonly #container: Docker.Container;
  readonly #logger: Logger;
  /** Whether the engine runs health checks on request (Podman): unknown until first asked. */
  #healthcheckOnRequest: boolean | undefined;

  constructor(
    docker: Docker,
    info: { id: string; name: string; labels: Record<string, string> },
    logger: Logger,
  ) {
    this.id = info.id;
    this.name = info.name;
    this.labels = info.labels;
    this.#docker = docker;
    this.#container = docker.getContainer(info.id);
    this.#logger = logger.child({ container: info.name, containerId: info.id.slice(0, 12) });
  }

  async exec(
    cmd: readonly string[],
    options: { env?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<ExecResult> {
    const action = `running "${cmd.join(' ')}" in container ${this.name}`;
    return dockerCall(this.#logger, action, { cmd }, async () => {
      const exec = await this.#container.exec({
        Cmd: [...cmd],
        AttachStdout: true,
        AttachStderr: true,
        Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      const stdout = collect();
      const stderr = collect();
      this.#docker.modem.demuxStream(stream, stdout.sink, stderr.sink);
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          stream.destroy();
          reject(options.signal?.reason ?? new Error('aborted'));
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      const inspected = await exec.inspect();
      return { exitCode: inspected.ExitCode ?? -1, stdout: stdout.text(), stderr: stderr.text() };
    });
  }

  async copyFiles(files: readonly FileToCopy[]): Promise<void> {
    // One archive per directory, extracted there; a directory that does not exist yet is created
    // by extracting the files with their full paths at the root instead.
    const byDirectory = new Map<string, FileToCopy[]>();
    for (const file of files) {
      const directory = path.posix.dirname(file.path);
      byDirectory.set(directory, [...(byDirectory.get(directory) ?? []), file]);
    }
    for (const [directory, entries] of byDirectory) {
      const action = `copying ${entries.map((file) => file.path).join(', ')} into container ${this.name}`;
      const tarAt = (base: string) =>
        createTar(
          entries.map((file) => ({
            path: path.posix.relative(base, file.path),
            content: file.content,
            ...(file.mode !== undefined ? { mode: file.mode } : {}),
          })),
        );
      const archive = await tarAt(directory);
      try {
        await dockerCall(this.#logger, action, { directory }, () =>
          this.#container.putArchive(archive, { path: directory }),
        );
      } catch (error) {
        if (!isNotFound(error) || !/could not find the file/i.test(String(error))) throw error;
        const fromRoot = await tarAt('/');
        await dockerCall(this.#logger, action, { directory: '/' }, () =>
          this.#container.putArchive(fromRoot, { path: '/' }),
        );
      }
    }
  }

  async logs(
    options: { follow?: boolean; signal?: AbortSignal; since?: string; stderr?: boolean } = {},
  ): Promise<Readable> {
    const output = new PassThrough();
    const action = `reading the logs of container ${this.name}`;
    const which = {
      stdout: true,
      stderr: options.stderr ?? true,
      // dockerode types `since` as a number; the Engine API takes `seconds.nanoseconds` text.
      ...(options.since !== undefined ? { since: options.since as unknown as number } : {}),
    };
    if (options.follow) {
      const stream = await dockerCall(this.#logger, action, {}, () =>
        this.#container.logs({ follow: true, ...which }),
      );
      this.#docker.modem.demuxStream(stream, output, output);
      stream.on('end', () => output.end());
      options.signal?.addEventListener('abort', () => {
        (stream as unknown as { destroy(): void }).destroy();
        output.end();
      });
      return output;
    }
    const buffer = await dockerCall(this.#logger, action, {}, () =>
      this.#container.logs({ follow: false, ...which }),
    );
    output.end(demuxBuffer(buffer));
    return output;
  }

  async wait(options: { signal?: AbortSignal } = {}): Promise<{ exitCode: number }> {
    const result = (await dockerCall(this.#logger, `waiting for container ${this.name} to exit`, {}, () =>
      this.#container.wait(options.signal ? { abortSignal: options.signal } : {}),
    )) as { StatusCode: number };
    return { exitCode: result.StatusCode };
  }

  async kill(signal = 'SIGKILL'): Promise<void> {
    await dockerCall(this.#logger, `sending ${signal} to container ${this.name}`, { signal }, () =>
      this.#container.kill({ signal }),
    );
  }

  async stop(options: { timeoutMs?: number; remove?: boolean } = {}): Promise<void> {
    const seconds = Math.ceil((options.timeoutMs ?? 10_000) / 1000);
    try {
      await dockerCall(this.#logger, `stopping container ${this.name}`, { timeoutSeconds: seconds }, () =>
        this.#container.stop({ t: seconds }),
      );
    } catch (error) {
      if (!isNotModified(error) && !isNotFound(error)) throw error;
    }
    if (options.remove === false) return;
    try {
      await dockerCall(this.#logger, `removing container ${this.name}`, {}, () =>
        this.#container.remove({ force: true, v: true }),
      );
    } catch (error) {
      // Already gone, or Docker is already removing it.
      if (!isNotFound(error) && !/already in progress/.test(String(error))) throw error;
    }
  }

  async start(): Promise<void> {
    try {
      await dockerCall(this.#logger, `starting container ${this.name}`, {}, () => this.#container.start());
    } catch (error) {
      if (!isNotModified(error)) throw error;
    }
  }

  async state(): Promise<{
    status: string;
    running: boolean;
    health?: string;
    startedAt?: string;
    finishedAt?: string;
  }> {
    try {
      const info = await dockerCall(this.#logger, `inspecting container ${this.name}`, {}, () =>
        this.#container.inspect(),
      );
      const health = info.State.Health?.Status;
      // Docker says `0001-01-01T00:00:00Z` for "never".
      const when = (time: string | undefined) => (time && !time.startsWith('0001-') ? time : undefined);
      const startedAt = when(info.State.StartedAt);
      const finishedAt = when(info.State.FinishedAt);
      return {
        status: info.State.Status,
        running: info.State.Running,
        ...(health ? { health } : {}),
        ...(startedAt ? { startedAt } : {}),
        ...(finishedAt ? { finishedAt } : {}),
      };
    } catch (error) {
      if (isNotFound(error)) return { status: 'missing', running: false };
      throw error;
    }
  }

  /**
   * Runs the health check once through Podman's API (`GET /libpod/containers/{id}/healthcheck`):
   * Podman schedules health checks with systemd timers, so without systemd (a container, a CI
   * machine) a container's health stays `starting` forever unless someone asks. Docker runs its
   * checks itself and answers that request with 404, after which this container never asks again.
   */
  async runHealthcheck(): Promise<boolean> {
    if (this.#healthcheckOnRequest === false) return false;
    try {
      await new Promise<unknown>((resolve, reject) =>
        this.#docker.modem.dial(
          {
            path: `/libpod/containers/${this.id}/healthcheck`,
            method: 'GET',
            statusCodes: { 200: true, 404: 'not found', 409: 'conflict', 500: 'server error' },
            options: {},
          },
          (error: unknown, data: unknown) => (error ? reject(error) : resolve(data)),
        ),
      );
      this.#healthcheckOnRequest = true;
      return true;
    } catch (error) {
      // 404 "page not found": not Podman. 409: not running (yet), or no health check: ask again later.
      if (isNotFound(error) && this.#healthcheckOnRequest === undefined) this.#healthcheckOnRequest = false;
      this.#logger.debug('running the health check on request failed', {
        container: this.name,
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop({ timeoutMs: 1000, remove: true });
  }
}

function collect(): { sink: PassThrough; text(): string } {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Strips Docker's 8-byte frame headers from a non-TTY log buffer. */
export function demuxBuffer(buffer: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    if (stream !== 0 && stream !== 1 && stream !== 2) return buffer;
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts);
}
