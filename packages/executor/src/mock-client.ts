import type { Agent } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JobSpecInput } from '@glci/runner-api';
import got, { type Got, HTTPError } from 'got';

/** A job as the mock reports it to the daemon (`/internal/jobs`); never the spec, never a token. */
export interface MockJob {
  readonly id: number;
  readonly name: string;
  readonly pipelineId: number;
  readonly state: 'pending' | 'running' | 'canceling' | 'success' | 'failed' | 'canceled';
  readonly runnerId: number | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly failureReason: string | null;
  readonly exitCode: number | null;
}

/** What `/internal/events` streams. */
export type MockEvent =
  | { readonly type: 'snapshot'; readonly job: MockJob; readonly traceLength: number }
  | {
      readonly type: 'state';
      readonly jobId: number;
      readonly state: MockJob['state'];
      readonly previous?: MockJob['state'];
      readonly failureReason?: string;
      readonly exitCode?: number;
    }
  | { readonly type: 'trace'; readonly jobId: number; readonly offset: number; readonly chunk: Buffer }
  | { readonly type: 'trace-reset'; readonly jobId: number }
  | {
      readonly type: 'trace-verified';
      readonly jobId: number;
      readonly checksum: string;
      readonly bytesize: number;
    }
  | { readonly type: 'ping' };

export interface ArtifactInfo {
  readonly type: string;
  readonly format: string;
  readonly filename: string;
  readonly size: number;
}

/** `POST /internal/registry/clean`'s answer. */
export interface RegistryCleanReport {
  readonly repositories: readonly string[];
  readonly manifestsDeleted: number;
  readonly blobsDeleted: number;
  readonly bytesDeleted: number;
}

/** The push-through mirror's upstream, credentials expanded (never logged). */
export interface PushThroughUpstream {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
}

export interface MockClientOptions {
  /** `http://127.0.0.1:<port>` (the published port), or any base URL the agent understands. */
  readonly baseUrl: string;
  /** The mock's internal secret. */
  readonly secret: string;
  /** A connection factory, e.g. `@glci/docker`'s tunnel through `docker exec` for remote hosts. */
  readonly agent?: Agent;
}

/** A request to the mock failed: its HTTP status and message, or the transport error. */
export class MockRequestError extends Error {
  override readonly name = 'MockRequestError';
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The daemon's client of the mock's `/internal` API (see `@glci/mock`'s `jobControlRoutes`).
 * Idempotent reads are retried on connection errors (a mock that is restarting); writes are not.
 */
export class MockClient {
  readonly #http: Got;
  readonly #baseUrl: string;

  constructor(options: MockClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#http = got.extend({
      prefixUrl: `${options.baseUrl.replace(/\/+$/, '')}/internal`,
      headers: { authorization: `Bearer ${options.secret}` },
      ...(options.agent ? { agent: { http: options.agent } } : {}),
      retry: { limit: 3, methods: ['GET'], statusCodes: [502, 503, 504] },
      // Until the answer starts: a body may stream for long (a pack, an artifact, the events).
      timeout: { connect: 10_000, response: 60_000 },
    });
  }

  async health(): Promise<boolean> {
    try {
      const body = await this.#http.get('health', { retry: { limit: 0 }, timeout: { request: 3_000 } }).json<{
        listening?: boolean;
      }>();
      return body.listening === true;
    } catch {
      return false;
    }
  }

  /** Whether the mock still knows a runner token (`POST /api/v4/runners/verify`, as the runner asks). */
  async verifyRunner(token: string): Promise<boolean> {
    try {
      const response = await this.#http.post(`${this.#baseUrl}/api/v4/runners/verify`, {
        prefixUrl: '',
        json: { token },
        throwHttpErrors: false,
        retry: { limit: 0 },
      });
      return response.statusCode === 200;
    } catch {
      return false;
    }
  }

  registerRunner(info: { tags: readonly string[]; runUntagged?: boolean; description?: string }) {
    return this.#json<{ id: number; token: string }>('POST', 'runners', info);
  }

  async knownCommits(project: string): Promise<string[]> {
    return (await this.#json<{ commits: string[] }>('GET', `git/commits?${new URLSearchParams({ project })}`))
      .commits;
  }

  /** Streams a pack (`packRepository`) to the mock, which serves `sha` at `ref` and the pipeline ref. */
  async sendPack(
    pack: Readable,
    target: { project: string; sha: string; ref: string; refType: 'branch' | 'tag'; pipelineId: number },
  ): Promise<{ sha: string; ref: string }> {
    const query = new URLSearchParams({
      project: target.project,
      sha: target.sha,
      ref: target.ref,
      ref_type: target.refType,
      pipeline: String(target.pipelineId),
    });
    try {
      return await this.#http
        .post(`git/pack?${query}`, {
          body: pack,
          headers: { 'content-type': 'application/x-git-packed-objects' },
          retry: { limit: 0 },
          // The mock answers once it has indexed the whole pack.
          timeout: { connect: 10_000, response: 30 * 60_000 },
        })
        .json<{ sha: string; ref: string }>();
    } catch (error) {
      throw describe(error, 'sending the repository to the mock');
    }
  }

  /** Serves a commit the mock already has under another pipeline's ref (a child pipeline's). */
  pointRefs(target: {
    project: string;
    sha: string;
    ref: string;
    refType: 'branch' | 'tag';
    pipelineId: number;
  }) {
    const query = new URLSearchParams({
      project: target.project,
      sha: target.sha,
      ref: target.ref,
      ref_type: target.refType,
      pipeline: String(target.pipelineId),
    });
    return this.#json<{ sha: string; ref: string }>('POST', `git/ref?${query}`, {});
  }

  enqueue(spec: JobSpecInput): Promise<MockJob> {
    return this.#json<MockJob>('POST', 'jobs', spec);
  }

  /**
   * A finished job of another pipeline, with its artifacts archive (a zip), that the jobs of
   * `spec.project` may list among their dependencies (`needs:project`).
   */
  async importArtifacts(spec: JobSpecInput, archive: Buffer): Promise<MockJob> {
    try {
      return await this.#http
        .post(`jobs/import?${new URLSearchParams({ spec: JSON.stringify(spec) })}`, {
          body: archive,
          headers: { 'content-type': 'application/zip' },
          retry: { limit: 0 },
        })
        .json<MockJob>();
    } catch (error) {
      throw describe(error, `importing the artifacts of ${spec.name}`);
    }
  }

  async jobs(ids: readonly number[]): Promise<MockJob[]> {
    if (ids.length === 0) return [];
    return (await this.#json<{ jobs: MockJob[] }>('GET', `jobs?ids=${ids.join(',')}`)).jobs;
  }

  job(id: number): Promise<MockJob> {
    return this.#json<MockJob>('GET', `jobs/${id}`);
  }

  cancel(id: number, options: { force?: boolean } = {}): Promise<MockJob> {
    return this.#json<MockJob>('POST', `jobs/${id}/cancel`, { force: options.force ?? false });
  }

  /** The job's log from `offset` on. */
  async trace(id: number, offset = 0): Promise<Buffer> {
    try {
      return await this.#http.get(`jobs/${id}/trace?offset=${offset}`).buffer();
    } catch (error) {
      throw describe(error, `reading the log of job ${id}`);
    }
  }

  async artifacts(id: number): Promise<ArtifactInfo[]> {
    return (await this.#json<{ artifacts: ArtifactInfo[] }>('GET', `jobs/${id}/artifacts`)).artifacts;
  }

  /** Copies one of the job's artifacts (`archive`, `dotenv`, `junit`, …) into `destination`. */
  async downloadArtifact(id: number, type: string, destination: NodeJS.WritableStream): Promise<void> {
    try {
      await pipeline(this.#http.stream(`jobs/${id}/artifacts/${encodeURIComponent(type)}`), destination);
    } catch (error) {
      throw describe(error, `downloading the ${type} artifact of job ${id}`);
    }
  }

  cleanCache(): Promise<{ entries: number; bytes: number }> {
    return this.#json('POST', 'cache/clean', {});
  }

  /**
   * Deletes the embedded registry's repositories at and under `project` (every repository when
   * unset): their tags and manifests, then the blobs nothing references any more.
   */
  cleanRegistry(project?: string): Promise<RegistryCleanReport> {
    return this.#json('POST', 'registry/clean', project ? { project } : {});
  }

  /**
   * Switches the registry's push-through mirror on (every manifest PUT mirrored upstream) or off
   * (`null`); pushes in flight keep the settings they started with.
   */
  async setPushThrough(upstream: PushThroughUpstream | null): Promise<void> {
    try {
      await this.#http.post('push-through-config', { json: upstream, retry: { limit: 0 } });
    } catch (error) {
      throw describe(error, 'POST /internal/push-through-config');
    }
  }

  /**
   * Gives the mock the login of an external registry (`[registry] url`), which it hands to the
   * jobs that name it and keeps in memory only; without `credentials` it forgets any it had.
   */
  async setExternalRegistry(
    host: string,
    credentials: { readonly username: string; readonly password: string } | undefined,
  ): Promise<void> {
    try {
      await this.#http.put('external-registry', { json: { host, ...credentials }, retry: { limit: 0 } });
    } catch (error) {
      throw describe(error, 'PUT /internal/external-registry');
    }
  }

  /**
   * The event stream: a `snapshot` for each of `jobs`, then every state change and log chunk of
   * every job, and a `ping` every 15 s. Ends when `signal` aborts or the connection drops (the
   * caller reconnects with the jobs it follows, and catches up from the snapshots).
   */
  async *events(options: { jobs?: readonly number[]; signal?: AbortSignal } = {}): AsyncGenerator<MockEvent> {
    const query = options.jobs?.length ? `?jobs=${options.jobs.join(',')}` : '';
    const stream = this.#http.stream(`events${query}`, {
      retry: { limit: 0 },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let pending = '';
    try {
      for await (const chunk of stream) {
        pending += (chunk as Buffer).toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line) yield decodeEvent(JSON.parse(line) as Record<string, unknown>);
          newline = pending.indexOf('\n');
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      throw describe(error, "following the mock's events");
    } finally {
      stream.destroy();
    }
  }

  async #json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      return await this.#http(path, { method, ...(body !== undefined ? { json: body } : {}) }).json<T>();
    } catch (error) {
      throw describe(error, `${method} /internal/${path.split('?')[0]}`);
    }
  }
}

function decodeEvent(raw: Record<string, unknown>): MockEvent {
  if (raw.type === 'trace') {
    return {
      type: 'trace',
      jobId: raw.jobId as number,
      offset: raw.offset as number,
      chunk: Buffer.from(String(raw.data), 'base64'),
    };
  }
  return raw as unknown as MockEvent;
}

/** The mock's `{message}` when it answered, the transport's error when it did not. */
function describe(error: unknown, doing: string): MockRequestError {
  if (error instanceof HTTPError) {
    let message = `${error.response.statusCode}`;
    try {
      message = (JSON.parse(String(error.response.body)) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the status
    }
    return new MockRequestError(`${doing}: ${message}`, error.response.statusCode, { cause: error });
  }
  return new MockRequestError(`${doing}: ${(error as Error).message}`, undefined, { cause: error });
}
