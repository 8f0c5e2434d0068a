import { readFileSync } from 'node:fs';
import type { Logger } from '@glci/config';
import type { ExtendOptions, Got, Response } from 'got';
import type { z } from 'zod';
import {
  GitlabRequestError,
  GitlabResponseError,
  GitlabSetupError,
  GitlabUnreachableError,
  type RequestSubject,
} from '../errors.js';
import type { GitlabToken } from '../token.js';
import { nextPageUrl } from './link-header.js';
import { hintForStatus } from './status-hints.js';
import { trustingAgent } from './tls-agent.js';

export interface ApiClientOptions {
  /** The instance's base URL, e.g. `https://gitlab.example.com`. */
  readonly url: string;
  readonly token: GitlabToken | undefined;
  /** A PEM bundle trusted in addition to the system's CAs. */
  readonly caFile?: string | undefined;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Retries of a GET after 429, 502, 503, 504 or a reset connection (default 2); never after a timeout. */
  readonly retries?: number;
}

export type SearchParams = Readonly<Record<string, string | number | boolean>>;

/** Lists longer than this many pages are refused rather than read forever. */
const MAX_PAGES = 200;

/**
 * The REST API v4 transport: the token in a header (never in a URL), the instance's CA, a request
 * timeout, retries of idempotent reads, typed errors with what to do, and pagination that follows
 * GitLab's `Link` header without ever leaving the instance.
 */
export class GitlabApiClient {
  readonly instanceUrl: string;
  readonly apiUrl: string;
  readonly token: GitlabToken | undefined;
  readonly #httpOptions: ExtendOptions;
  readonly #caFile: string | undefined;
  #http: Promise<Got> | undefined;
  readonly #log: Logger;

  constructor(options: ApiClientOptions) {
    this.instanceUrl = options.url.replace(/\/+$/, '');
    this.apiUrl = `${this.instanceUrl}/api/v4`;
    this.token = options.token;
    this.#log = options.logger.child({ module: 'gitlab-api', instance: this.instanceUrl });
    this.#caFile = options.caFile;
    this.#httpOptions = {
      throwHttpErrors: false,
      followRedirect: false,
      headers: { 'user-agent': 'glci', ...(options.token?.authorizationHeader() ?? {}) },
      timeout: { request: options.timeoutMs },
      retry: {
        limit: options.retries ?? 2,
        methods: ['GET', 'HEAD'],
        statusCodes: [429, 502, 503, 504],
        // Not a timeout: one wait of [gitlab] timeout is enough to call the instance unreachable.
        errorCodes: ['ECONNRESET', 'EPIPE'],
        backoffLimit: 5_000,
      },
    };
  }

  /**
   * The HTTP client, made on the first request: planning from a warm include cache asks the
   * instance nothing, and then neither loads got nor builds a TLS context.
   */
  #client(): Promise<Got> {
    this.#http ??= import('got').then(async ({ default: got }) =>
      got.extend({
        ...this.#httpOptions,
        ...(this.#caFile ? { agent: { https: await trustingAgent(trustedCertificate(this.#caFile)) } } : {}),
      }),
    );
    return this.#http;
  }

  /** One JSON document, checked against `schema` (extra fields are fine, missing ones are not). */
  async json<T>(
    path: string,
    schema: z.ZodType<T>,
    subject: RequestSubject,
    searchParams?: SearchParams,
  ): Promise<T> {
    const response = await this.#get(this.#url(path, searchParams), subject, 'text');
    return this.#parse(response, schema, subject);
  }

  /** Every page of a list, following `Link: <…>; rel="next"` (offset and keyset pagination alike). */
  async pages<T>(
    path: string,
    item: z.ZodType<T>,
    subject: RequestSubject,
    searchParams: SearchParams = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = this.#url(path, { per_page: 100, ...searchParams });
    for (let page = 0; url; page++) {
      if (page === MAX_PAGES) throw new GitlabResponseError(subject, url, `more than ${MAX_PAGES} pages`);
      const response = await this.#get(url, subject, 'text');
      const list = this.#parse(response, item.array(), subject);
      items.push(...list);
      url = nextPageUrl(response.headers.link, this.instanceUrl);
    }
    return items;
  }

  /** A raw body as text, with the response headers (`X-Gitlab-Commit-Id` and the like). */
  async text(
    path: string,
    subject: RequestSubject,
    searchParams?: SearchParams,
  ): Promise<{ readonly body: string; readonly headers: Response['headers'] }> {
    const response = await this.#get(this.#url(path, searchParams), subject, 'text');
    return { body: response.body as string, headers: response.headers };
  }

  /** A binary body (job artifacts). */
  async buffer(path: string, subject: RequestSubject, searchParams?: SearchParams): Promise<Buffer> {
    const response = await this.#get(this.#url(path, searchParams), subject, 'buffer');
    return response.body as Buffer;
  }

  /** The status of a GET without reading an error into an exception: for probes (`--check`). */
  async status(path: string, subject: RequestSubject, searchParams?: SearchParams): Promise<number> {
    try {
      await this.#get(this.#url(path, searchParams), subject, 'text');
      return 200;
    } catch (error) {
      if (error instanceof GitlabRequestError) return error.status;
      throw error;
    }
  }

  /** A path under the instance but outside `/api/v4` (`/oauth/token/info`). */
  async instanceJson<T>(path: string, schema: z.ZodType<T>, subject: RequestSubject): Promise<T> {
    const response = await this.#get(`${this.instanceUrl}${path}`, subject, 'text');
    return this.#parse(response, schema, subject);
  }

  #url(path: string, searchParams?: SearchParams): string {
    const query = searchParams
      ? new URLSearchParams(
          Object.entries(searchParams).map(([key, value]): [string, string] => [key, String(value)]),
        ).toString()
      : '';
    return `${this.apiUrl}${path}${query ? `?${query}` : ''}`;
  }

  async #get(url: string, subject: RequestSubject, responseType: 'text' | 'buffer'): Promise<Response> {
    const started = Date.now();
    let response: Response;
    try {
      const http = await this.#client();
      response = (await http.get(url, { responseType })) as Response;
    } catch (error) {
      const reason = networkReason(error);
      this.#log.debug('request failed', { url, reason });
      throw new GitlabUnreachableError(subject, url, reason, unreachableHint(reason));
    }
    this.#log.debug('request', { url, status: response.statusCode, ms: Date.now() - started });
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const detail = errorDetail(response);
    throw new GitlabRequestError(
      subject,
      url,
      response.statusCode,
      detail,
      hintForStatus(response.statusCode, { token: this.token, detail, location: response.headers.location }),
    );
  }

  #parse<T>(response: Response, schema: z.ZodType<T>, subject: RequestSubject): T {
    let body: unknown;
    try {
      body = JSON.parse(response.body as string);
    } catch {
      throw new GitlabResponseError(subject, response.url, 'not JSON');
    }
    const result = schema.safeParse(body);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new GitlabResponseError(
        subject,
        response.url,
        `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    return result.data;
  }
}

/** The instance's own CA (trusted with the system's, so remote includes on public hosts still verify). */
function trustedCertificate(caFile: string): string {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new GitlabSetupError(
      `[gitlab] ca_file ${caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new GitlabSetupError(`[gitlab] ca_file ${caFile} holds no PEM certificate`);
  return pem;
}

/** GitLab's error bodies: `{"message": "404 Project Not Found"}` or `{"error": "insufficient_scope", …}`. */
function errorDetail(response: Response): string | undefined {
  const body = response.body as string | Buffer | undefined;
  const text = typeof body === 'string' ? body : body?.toString('utf8');
  if (!text) return undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const message = body.message ?? body.error_description ?? body.error;
    if (typeof message === 'string') return message.slice(0, 300);
    if (message && typeof message === 'object') return JSON.stringify(message).slice(0, 300);
  } catch {
    // Not JSON (a proxy's HTML page): the status says enough.
  }
  return undefined;
}

export function networkReason(error: unknown): string {
  const failure = error as { code?: string; message?: string; name?: string };
  if (failure.name === 'TimeoutError') return `timed out: ${failure.message ?? ''}`.trim();
  return failure.code ?? failure.message ?? String(error);
}

function unreachableHint(reason: string): string | undefined {
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|unable to (get|verify)/i.test(reason))
    return 'the instance certificate is not trusted: set [gitlab] ca_file to its CA bundle';
  if (/ENOTFOUND|EAI_AGAIN/.test(reason)) return 'check the instance URL and your network';
  return undefined;
}
