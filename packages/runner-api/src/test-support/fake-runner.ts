import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { crc32, formatChecksum } from '../crc32.js';

/** The `info` object gitlab-runner 19.x sends (runner-protocol.md §2.1). */
export const RUNNER_INFO = {
  name: 'gitlab-runner',
  version: '19.4.0',
  revision: 'd79f3e7b',
  platform: 'linux',
  architecture: 'amd64',
  executor: 'docker',
  shell: 'bash',
  features: {
    variables: true,
    image: true,
    services: true,
    artifacts: true,
    cache: true,
    fallback_cache_keys: true,
    shared: false,
    upload_multiple_artifacts: true,
    upload_raw_artifacts: true,
    session: true,
    terminal: true,
    refspecs: true,
    masking: true,
    proxy: false,
    raw_variables: true,
    artifacts_exclude: true,
    multi_build_steps: true,
    trace_reset: true,
    trace_checksum: true,
    trace_size: true,
    vault_secrets: true,
    cancelable: true,
    return_exit_code: true,
    service_variables: true,
    service_multiple_aliases: true,
    image_executor_opts: true,
    service_executor_opts: true,
    cancel_gracefully: true,
    native_steps_integration: true,
    two_phase_job_commit: true,
    job_inputs: true,
  },
  config: { gpus: '' },
};

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** A job payload as the runner decodes it (only the fields the fake uses). */
export interface Payload {
  id: number;
  token: string;
  git_info: { repo_url: string; refspecs: string[]; sha: string; depth: number; ref: string };
  variables: {
    key: string;
    value: string;
    public: boolean;
    masked?: boolean;
    file?: boolean;
    raw?: boolean;
  }[];
  dependencies: {
    id: number;
    name: string;
    token: string;
    artifacts_file: { filename: string; size: number };
  }[];
  [key: string]: unknown;
}

/**
 * Speaks to the mock exactly as gitlab-runner's network client does (headers, bodies, the
 * two-phase commit, trace offsets with 416 resync, the final update loop with crc32, chunked
 * multipart artifact uploads, direct downloads). Used where the real runner cannot be built.
 */
export class FakeRunner {
  readonly baseUrl: string;
  readonly token: string;
  readonly systemId: string;
  lastUpdate: string | undefined;

  constructor(baseUrl: string, token: string, systemId = `s_${randomUUID().replace(/-/g, '').slice(0, 12)}`) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.systemId = systemId;
  }

  async call(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string | Uint8Array; signal?: AbortSignal } = {},
  ): Promise<Reply> {
    const response = await fetch(`${this.baseUrl}/api/v4/${path}`, {
      method,
      headers: {
        'User-Agent': 'gitlab-runner 19.4.0 (main; go1.24.6; linux/amd64)',
        'X-Request-Id': randomUUID().replace(/-/g, ''),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
  }

  /** `POST /jobs/request`: the payload on 201, undefined on 204; throws on anything else. */
  async requestJob(options: { signal?: AbortSignal } = {}): Promise<Payload | undefined> {
    const body = {
      info: RUNNER_INFO,
      token: this.token,
      system_id: this.systemId,
      ...(this.lastUpdate ? { last_update: this.lastUpdate } : {}),
    };
    const reply = await this.call('POST', 'jobs/request', {
      headers: { 'RUNNER-TOKEN': this.token, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    this.lastUpdate = reply.headers.get('x-gitlab-last-update') ?? this.lastUpdate;
    if (reply.status === 204) return undefined;
    if (reply.status !== 201) throw new Error(`jobs/request answered ${reply.status}: ${reply.text}`);
    // The runner requires exactly the media type application/json (network/client.go).
    const mediaType = reply.headers.get('content-type')?.split(';')[0]?.trim();
    if (mediaType !== 'application/json') throw new Error(`job payload has Content-Type ${mediaType}`);
    return reply.json<Payload>();
  }

  updateJob(id: number, token: string, body: Record<string, unknown>): Promise<Reply> {
    return this.call('PUT', `jobs/${id}`, {
      headers: { 'JOB-TOKEN': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ info: RUNNER_INFO, token, output: {}, ...body }),
    });
  }

  patchTrace(id: number, token: string, bytes: Uint8Array, start: number): Promise<Reply> {
    return this.call('PATCH', `jobs/${id}/trace?debug_trace=false`, {
      headers: {
        'JOB-TOKEN': token,
        'Content-Range': `${start}-${start + bytes.length - 1}`,
        'Content-Type': 'text/plain',
      },
      body: bytes,
    });
  }

  /**
   * Runs a job the way `network/trace.go` does: state running, trace patches from the sent
   * offset (following `Range` on 416), then the final update until 200, re-sending the whole
   * trace after a 412.
   */
  async runJob(
    payload: Payload,
    chunks: readonly (string | Uint8Array)[],
    final: { state: 'success' | 'failed'; failure_reason?: string; exit_code?: number } = {
      state: 'success',
    },
  ): Promise<{ finalStatus: number; jobStatus: string | null; updates: number }> {
    const start = await this.updateJob(payload.id, payload.token, { state: 'running' });
    if (start.status !== 200) throw new Error(`first update answered ${start.status}`);
    const log = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));
    let sent = 0;
    let boundary = 0;
    const sendUpTo = async (limit: number) => {
      for (let attempts = 0; sent < limit && attempts < 100; attempts++) {
        const reply = await this.patchTrace(payload.id, payload.token, log.subarray(sent, limit), sent);
        if (reply.status === 202) sent = limit;
        else if (reply.status === 416) sent = Number(reply.headers.get('range')?.split('-')[1] ?? 0);
        else throw new Error(`trace patch answered ${reply.status}`);
      }
    };
    for (const chunk of chunks) {
      boundary += Buffer.byteLength(chunk);
      await sendUpTo(boundary);
    }
    let updates = 0;
    for (; updates < 20; updates++) {
      const reply = await this.updateJob(payload.id, payload.token, {
        ...final,
        checksum: formatChecksum(crc32(log)),
        output: { checksum: formatChecksum(crc32(log)), bytesize: log.length },
      });
      if (reply.status === 412) {
        sent = 0;
        await sendUpTo(log.length);
        continue;
      }
      if (reply.status === 202) continue;
      return { finalStatus: reply.status, jobStatus: reply.headers.get('job-status'), updates: updates + 1 };
    }
    throw new Error('final update never accepted');
  }

  /** The helper's `artifacts-uploader`: multipart, `Transfer-Encoding: chunked`, no Content-Length. */
  uploadArtifacts(
    id: number,
    token: string,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    query: Record<string, string> = {},
    filename = 'artifacts.zip',
  ): Promise<{ status: number; body: string }> {
    const boundary = `----glci${randomUUID().replace(/-/g, '')}`;
    const url = new URL(`${this.baseUrl}/api/v4/jobs/${id}/artifacts`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return new Promise((resolve, reject) => {
      const request = http.request(url, {
        method: 'POST',
        headers: {
          'JOB-TOKEN': token,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Transfer-Encoding': 'chunked',
          'User-Agent': 'gitlab-runner-helper 19.4.0',
        },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      });
      request.on('error', reject);
      void (async () => {
        try {
          request.write(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
              'Content-Type: application/octet-stream\r\n\r\n',
          );
          for await (const chunk of chunks) {
            if (request.destroyed) return;
            if (!request.write(chunk)) await new Promise((r) => request.once('drain', r));
          }
          request.end(`\r\n--${boundary}--\r\n`);
        } catch {
          // The server closed the upload (413); the response tells why.
        }
      })();
    });
  }

  downloadArtifacts(id: number, token: string): Promise<Reply> {
    return this.call('GET', `jobs/${id}/artifacts?direct_download=true`, { headers: { 'JOB-TOKEN': token } });
  }
}

export async function registerRunner(
  baseUrl: string,
  registrationToken: string,
  body: Record<string, unknown> = {},
) {
  const runner = new FakeRunner(baseUrl, registrationToken);
  const reply = await runner.call('POST', 'runners', {
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ token: registrationToken, info: RUNNER_INFO, ...body }),
  });
  return reply;
}
