import { createHash } from 'node:crypto';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { Logger } from '@glci/config';
import { type Descriptor, parseDigest } from '@glci/registry';
import got, { type Got, type Request, RequestError } from 'got';
import type { Clock } from './clock.js';
import { INDEX_MEDIA_TYPE, parseReferrersIndex, referrersTag } from './referrers-index.js';
import { parseRetryAfter, TokenAuth } from './token-auth.js';
import {
  MANIFEST_MEDIA_TYPES,
  type RequestOptions,
  type UpstreamBlob,
  type UpstreamClient,
  type UpstreamManifest,
  type UpstreamReferrers,
  UpstreamRequestError,
} from './upstream-client.js';

export interface HttpUpstreamClientOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Skip TLS certificate verification. */
  readonly insecure?: boolean;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly agent?: { http?: HttpAgent; https?: HttpsAgent };
  /** Milliseconds to wait for a connection and for response headers (default 10 s / 30 s). */
  readonly timeouts?: { connect?: number; response?: number; idle?: number };
  /** Called with every `ratelimit-remaining` value seen (Docker Hub sends it on manifests). */
  readonly onRateLimit?: (remaining: string) => void;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly stream: Request;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGES = 50;

/** `UpstreamClient` over HTTP(S) with got, Docker token auth and rate-limit tracking. */
export class HttpUpstreamClient implements UpstreamClient {
  readonly url: string;
  readonly auth: TokenAuth;
  readonly #http: Got;
  readonly #log: Logger;
  /** Whether the upstream has the referrers API: unknown until it answered once. */
  #referrersApi: boolean | undefined;

  constructor(private readonly options: HttpUpstreamClientOptions) {
    // Credentials written into the URL are taken out of it, so the URL can be logged and shown.
    const parsed = new URL(options.url);
    const urlUsername = decodeURIComponent(parsed.username);
    const urlPassword = decodeURIComponent(parsed.password);
    parsed.username = '';
    parsed.password = '';
    this.url = parsed.toString().replace(/\/+$/, '');
    this.#log = options.logger.child({ module: 'proxy-upstream', upstream: this.url });
    this.#http = got.extend({
      retry: { limit: 0 },
      throwHttpErrors: false,
      decompress: false,
      agent: options.agent,
      https: { rejectUnauthorized: !options.insecure },
      headers: { 'user-agent': 'glci-proxy' },
      timeout: {
        connect: options.timeouts?.connect ?? 10_000,
        response: options.timeouts?.response ?? 30_000,
        socket: options.timeouts?.idle ?? 60_000,
      },
    });
    this.auth = new TokenAuth({
      upstreamUrl: this.url,
      credentials:
        options.username !== undefined
          ? { username: options.username, password: options.password ?? '' }
          : urlUsername
            ? { username: urlUsername, password: urlPassword }
            : undefined,
      http: this.#http,
      clock: options.clock,
      logger: this.#log,
    });
  }

  async ping(options: RequestOptions = {}): Promise<void> {
    const answer = await this.#send('GET', '/v2/', undefined, options);
    await drain(answer.stream);
    if (answer.status !== 200) throw this.#failure(answer, 'ping');
  }

  async headManifest(repository: string, reference: string, options: RequestOptions = {}) {
    const answer = await this.#send('HEAD', `/v2/${repository}/manifests/${reference}`, repository, options, {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    await drain(answer.stream);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw this.#failure(answer, `HEAD manifest ${repository}:${reference}`);
    const digest = header(answer.headers, 'docker-content-digest');
    if (!digest) {
      // Without the digest header a HEAD cannot revalidate; the caller falls back to GET.
      throw new UpstreamRequestError(this.url, 'invalid', `HEAD ${repository}:${reference} gave no digest`);
    }
    return {
      mediaType: header(answer.headers, 'content-type') ?? MANIFEST_MEDIA_TYPES[1],
      digest: parseDigest(digest),
      size: Number(header(answer.headers, 'content-length') ?? 0),
    } satisfies Descriptor;
  }

  async getManifest(
    repository: string,
    reference: string,
    options: RequestOptions = {},
  ): Promise<UpstreamManifest | undefined> {
    const answer = await this.#send('GET', `/v2/${repository}/manifests/${reference}`, repository, options, {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    });
    if (answer.status === 404) {
      await drain(answer.stream);
      return undefined;
    }
    if (answer.status !== 200) {
      await drain(answer.stream);
      throw this.#failure(answer, `GET manifest ${repository}:${reference}`);
    }
    const content = await collect(answer.stream, MAX_MANIFEST_BYTES, this.url);
    const digest = parseDigest(`sha256:${createHash('sha256').update(content).digest('hex')}`);
    const expected = reference.includes(':') ? reference : header(answer.headers, 'docker-content-digest');
    if (expected?.startsWith('sha256:') && expected !== digest.toString()) {
      throw new UpstreamRequestError(
        this.url,
        'invalid',
        `manifest ${repository}@${expected} arrived with digest ${digest.toString()}`,
      );
    }
    const mediaType =
      header(answer.headers, 'content-type')?.split(';')[0]?.trim() ??
      (JSON.parse(Buffer.from(content).toString('utf8')) as { mediaType?: string }).mediaType ??
      MANIFEST_MEDIA_TYPES[1];
    return { descriptor: { mediaType, digest, size: content.byteLength }, content };
  }

  async headBlob(repository: string, digest: string, options: RequestOptions = {}) {
    const answer = await this.#send('HEAD', `/v2/${repository}/blobs/${digest}`, repository, options);
    await drain(answer.stream);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw this.#failure(answer, `HEAD blob ${repository}@${digest}`);
    return {
      mediaType: 'application/octet-stream',
      digest: parseDigest(digest),
      size: Number(header(answer.headers, 'content-length') ?? 0),
    } satisfies Descriptor;
  }

  async getBlob(
    repository: string,
    digest: string,
    options: RequestOptions = {},
  ): Promise<UpstreamBlob | undefined> {
    const answer = await this.#send('GET', `/v2/${repository}/blobs/${digest}`, repository, options);
    if (answer.status === 404) {
      await drain(answer.stream);
      return undefined;
    }
    if (answer.status !== 200) {
      await drain(answer.stream);
      throw this.#failure(answer, `GET blob ${repository}@${digest}`);
    }
    const length = header(answer.headers, 'content-length');
    if (length === undefined || !/^\d+$/.test(length)) {
      answer.stream.destroy();
      throw new UpstreamRequestError(this.url, 'invalid', `blob ${digest} came without Content-Length`);
    }
    return {
      descriptor: {
        mediaType: 'application/octet-stream',
        digest: parseDigest(digest),
        size: Number(length),
      },
      stream: answer.stream,
    };
  }

  async getReferrers(
    repository: string,
    digest: string,
    options: RequestOptions = {},
  ): Promise<UpstreamReferrers | undefined> {
    if (this.#referrersApi !== false) {
      const fromApi = await this.#referrersFromApi(repository, digest, options);
      if (fromApi) return fromApi;
    }
    // The spec's fallback for registries without the API: the index clients keep under the tag.
    const tagged = await this.getManifest(repository, referrersTag(parseDigest(digest)), options);
    if (!tagged) return undefined;
    return {
      descriptors: parseReferrersIndex(tagged.content) ?? [],
      source: 'tag',
      bytes: tagged.content.byteLength,
    };
  }

  /** The referrers API's pages; `undefined` when the upstream answered that it has no such API. */
  async #referrersFromApi(
    repository: string,
    digest: string,
    options: RequestOptions,
  ): Promise<UpstreamReferrers | undefined> {
    const descriptors: Descriptor[] = [];
    let bytes = 0;
    let path: string | undefined = `/v2/${repository}/referrers/${digest}`;
    for (let page = 0; path && page < MAX_TAG_PAGES; page += 1) {
      const answer = await this.#send('GET', path, repository, options, { accept: INDEX_MEDIA_TYPE });
      if (page === 0 && (answer.status === 404 || answer.status === 405)) {
        const text = Buffer.from(await collect(answer.stream, 64 * 1024, this.url)).toString();
        // A route the upstream does not know (distribution 2.8.2: "404 page not found") means no
        // API at all: later lookups go straight to the tag. A 404 in the OCI error format may be
        // just an unknown repository, so the API is asked again next time.
        if (!text.trimStart().startsWith('{')) this.#referrersApi = false;
        return undefined;
      }
      if (answer.status !== 200) {
        await drain(answer.stream);
        throw this.#failure(answer, `GET referrers of ${repository}@${digest}`);
      }
      const content = await collect(answer.stream, MAX_MANIFEST_BYTES, this.url);
      bytes += content.byteLength;
      const found = parseReferrersIndex(content);
      if (!found) {
        throw new UpstreamRequestError(
          this.url,
          'invalid',
          `referrers of ${repository}@${digest}: not an index`,
        );
      }
      descriptors.push(...found);
      this.#referrersApi = true;
      path = nextPath(header(answer.headers, 'link'), this.url);
    }
    return { descriptors, source: 'api', bytes };
  }

  async listTags(repository: string, options: RequestOptions = {}): Promise<string[] | undefined> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    for (let page = 0; path && page < MAX_TAG_PAGES; page += 1) {
      const answer = await this.#send('GET', path, repository, options);
      if (answer.status === 404) {
        await drain(answer.stream);
        return page === 0 ? undefined : tags;
      }
      if (answer.status !== 200) {
        await drain(answer.stream);
        throw this.#failure(answer, `GET tags of ${repository}`);
      }
      const body = JSON.parse(
        Buffer.from(await collect(answer.stream, 16 * 1024 * 1024, this.url)).toString(),
      ) as {
        tags?: string[] | null;
      };
      tags.push(...(body.tags ?? []));
      path = nextPath(header(answer.headers, 'link'), this.url);
    }
    return tags;
  }

  async pushBlob(
    repository: string,
    digest: string,
    content: () => Promise<Readable>,
    size: number,
    options: RequestOptions = {},
  ): Promise<void> {
    const push = { ...options, actions: ['pull', 'push'] as const };
    const start = await this.#send('POST', `/v2/${repository}/blobs/uploads/`, repository, push, {
      'content-length': '0',
    });
    await drain(start.stream);
    const location = header(start.headers, 'location');
    if (start.status !== 202 || !location)
      throw this.#failure(start, `start upload of ${digest} to ${repository}`);
    const target = new URL(location, `${this.url}/`);
    target.searchParams.set('digest', digest);
    // The token for this scope was just obtained, so the stream is sent once, never replayed.
    const body = await content();
    const authorization = await this.auth.authorization(scopeFor(repository, push.actions));
    const response = await this.#http.put(target, {
      body,
      signal: options.signal,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        ...(authorization ? { authorization } : {}),
      },
    });
    if (response.statusCode !== 201) {
      throw new UpstreamRequestError(
        this.url,
        response.statusCode >= 500 ? 'server-error' : 'invalid',
        `upload of blob ${digest} to ${repository} answered ${response.statusCode}`,
        { status: response.statusCode },
      );
    }
  }

  async pushManifest(
    repository: string,
    reference: string,
    content: Uint8Array,
    mediaType: string,
    options: RequestOptions = {},
  ): Promise<void> {
    const answer = await this.#send(
      'PUT',
      `/v2/${repository}/manifests/${reference}`,
      repository,
      { ...options, actions: ['pull', 'push'] },
      { 'content-type': mediaType },
      content,
    );
    const text = Buffer.from(await collect(answer.stream, 64 * 1024, this.url)).toString();
    if (answer.status !== 201) {
      throw this.#failure(answer, `PUT manifest ${repository}:${reference}`, text);
    }
  }

  /** Sends one request, authenticating and retrying once on a 401. */
  async #send(
    method: 'GET' | 'HEAD' | 'POST' | 'PUT',
    path: string,
    repository: string | undefined,
    options: RequestOptions,
    headers: Record<string, string> = {},
    body?: Uint8Array,
  ): Promise<Answer> {
    const scope = repository ? scopeFor(repository, options.actions ?? ['pull']) : undefined;
    let authorization = await this.auth.authorization(scope);
    for (let attempt = 0; ; attempt += 1) {
      const answer = await this.#open(
        method,
        path,
        options.signal,
        {
          ...headers,
          ...(authorization ? { authorization } : {}),
        },
        body,
      );
      if (answer.status !== 401 || attempt > 0) return answer;
      await drain(answer.stream);
      const retry = await this.auth.respond(header(answer.headers, 'www-authenticate'), scope, authorization);
      if (!retry) return answer;
      authorization = retry;
    }
  }

  #open(
    method: string,
    path: string,
    signal: AbortSignal | undefined,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
  ): Promise<Answer> {
    const url = `${this.url}${path}`;
    return new Promise<Answer>((resolve, reject) => {
      const stream = this.#http.stream(url, {
        method: method as 'GET',
        headers,
        signal,
        // A stream request with a method that carries a body waits for one: always give it.
        ...(body || method === 'POST' || method === 'PUT'
          ? { body: Buffer.from(body ?? new Uint8Array()) }
          : {}),
      });
      stream.once('response', (response: { statusCode: number; headers: Answer['headers'] }) => {
        const remaining = header(response.headers, 'ratelimit-remaining');
        if (remaining !== undefined) this.options.onRateLimit?.(remaining);
        this.#log.debug('upstream answered', { method, path, status: response.statusCode });
        resolve({ status: response.statusCode, headers: response.headers, stream });
      });
      // Kept for the stream's life: errors after the answer reach the consumer, never the process.
      stream.on('error', (error: Error) => reject(this.#networkFailure(error, method, path)));
    });
  }

  #networkFailure(error: Error, method: string, path: string): UpstreamRequestError {
    const timeout = error instanceof RequestError && error.name === 'TimeoutError';
    if (error instanceof UpstreamRequestError) return error;
    return new UpstreamRequestError(
      this.url,
      timeout ? 'timeout' : 'unreachable',
      `${method} ${path} failed: ${error.message}`,
      { cause: error },
    );
  }

  #failure(answer: Pick<Answer, 'status' | 'headers'>, step: string, body?: string): UpstreamRequestError {
    const { status } = answer;
    const detail = body ? `: ${body.slice(0, 300)}` : '';
    if (status === 429) {
      return new UpstreamRequestError(this.url, 'rate-limited', `${step} answered 429 Too Many Requests`, {
        status,
        retryAfterSeconds: parseRetryAfter(answer.headers['retry-after'], this.options.clock.now()),
      });
    }
    if (status >= 500) {
      return new UpstreamRequestError(this.url, 'server-error', `${step} answered ${status}${detail}`, {
        status,
      });
    }
    if (status === 401)
      return new UpstreamRequestError(this.url, 'unauthorized', `${step} answered 401`, { status });
    if (status === 403)
      return new UpstreamRequestError(this.url, 'denied', `${step} answered 403`, { status });
    return new UpstreamRequestError(this.url, 'invalid', `${step} answered ${status}${detail}`, { status });
  }
}

export function scopeFor(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** The path and query of a `Link: <…>; rel="next"` header, resolved against the upstream. */
function nextPath(link: string | undefined, base: string): string | undefined {
  const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link ?? '')?.[1];
  if (!next) return undefined;
  const url = new URL(next, `${base}/`);
  return url.pathname + url.search;
}

function header(headers: Answer['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function drain(stream: Readable): Promise<void> {
  try {
    for await (const _ of stream) {
      // discard
    }
  } catch {
    // a failed drain only loses the connection for reuse
  }
}

async function collect(stream: Readable, limit: number, upstream: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new UpstreamRequestError(upstream, 'invalid', `response exceeds ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
