import { type IncomingMessage, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../process-alive.js';
import { DAEMON_ROUTES, type DaemonStatus, type ErrorBody, type StopResponse } from '../server/daemon-api.js';
import { checkSocketOwner } from '../server/socket-file.js';

/** Nothing answers on the socket: the daemon is not running. */
export class DaemonNotRunningError extends Error {
  override name = 'DaemonNotRunningError';
  constructor(
    readonly socketPath: string,
    cause?: unknown,
  ) {
    super(`the glci daemon is not running (nothing answers on ${socketPath})`, cause ? { cause } : undefined);
  }
}

/** The daemon answered with an error. */
export class DaemonRequestError extends Error {
  override name = 'DaemonRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DaemonClientOptions {
  readonly socketPath: string;
  /** For requests that are not streams (default 30 s). */
  readonly timeoutMs?: number;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/**
 * Talks to the daemon over its unix socket: JSON requests and NDJSON event streams. The socket
 * must belong to the user (checked before every connection), so no other user's process can
 * answer in the daemon's place.
 */
export class DaemonClient {
  readonly socketPath: string;
  readonly #timeoutMs: number;

  constructor(options: DaemonClientOptions) {
    this.socketPath = options.socketPath;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** A JSON request; resolves to the parsed body of a 2xx answer. */
  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const response = await this.#send(method, path, body, {
      ...options,
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
    });
    const text = await readBody(response);
    if ((response.statusCode ?? 500) >= 400) throw toRequestError(response.statusCode ?? 500, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A request answered with NDJSON: yields each event as it arrives, until the daemon ends the stream. */
  async *stream<T>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): AsyncGenerator<T> {
    const response = await this.#send(method, path, body, options);
    if ((response.statusCode ?? 500) >= 400)
      throw toRequestError(response.statusCode ?? 500, await readBody(response));
    let pending = '';
    response.setEncoding('utf8');
    for await (const chunk of response as AsyncIterable<string>) {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line) yield JSON.parse(line) as T;
        newline = pending.indexOf('\n');
      }
    }
    if (!response.complete)
      throw new DaemonRequestError(502, 'stream-cut', 'the daemon closed the event stream early');
    if (pending.trim()) yield JSON.parse(pending) as T;
  }

  status(options: RequestOptions = {}): Promise<DaemonStatus> {
    return this.request<DaemonStatus>('GET', DAEMON_ROUTES.status, undefined, options);
  }

  /** The status, or `undefined` when no daemon runs. */
  async ping(options: RequestOptions = {}): Promise<DaemonStatus | undefined> {
    try {
      return await this.status(options);
    } catch (error) {
      if (error instanceof DaemonNotRunningError) return undefined;
      throw error;
    }
  }

  stop(options: { graceful: boolean }): Promise<StopResponse> {
    return this.request<StopResponse>('POST', DAEMON_ROUTES.stop, { graceful: options.graceful });
  }

  /** Waits until nothing answers on the socket any more (and process `pid`, if given, is gone). */
  async waitUntilStopped(
    options: { pid?: number; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      options.signal?.throwIfAborted();
      const running = (await this.ping({ timeoutMs: 2000 }).catch(() => undefined)) !== undefined;
      if (!running && (options.pid === undefined || !isAlive(options.pid))) return;
      if (Date.now() > deadline)
        throw new Error(`the glci daemon did not stop within ${options.timeoutMs ?? 60_000} ms`);
      await sleep(100);
    }
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    options: RequestOptions,
  ): Promise<IncomingMessage> {
    if ((await checkSocketOwner(this.socketPath)) === 'missing')
      throw new DaemonNotRunningError(this.socketPath);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        method,
        path,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (options.timeoutMs) {
        req.setTimeout(options.timeoutMs, () =>
          req.destroy(
            new Error(`the glci daemon did not answer ${method} ${path} within ${options.timeoutMs} ms`),
          ),
        );
      }
      req.once('response', (response) => {
        // The timeout guards the answer's start; a stream may then be quiet for as long as it likes.
        if (options.timeoutMs) req.setTimeout(0);
        resolve(response);
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ECONNREFUSED' || error.code === 'ENOENT'
            ? new DaemonNotRunningError(this.socketPath, error)
            : error,
        );
      });
      req.end(payload);
    });
  }
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function toRequestError(status: number, text: string): DaemonRequestError {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error?.message)
      return new DaemonRequestError(status, body.error.code ?? 'error', body.error.message);
  } catch {
    // not JSON: use the text
  }
  return new DaemonRequestError(status, 'error', `the glci daemon answered ${status}: ${text.slice(0, 200)}`);
}
