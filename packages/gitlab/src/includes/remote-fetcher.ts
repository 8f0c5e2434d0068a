import { readFileSync } from 'node:fs';
import type { Logger } from '@glci/config';
import type { Got } from 'got';
import { GitlabSetupError, RemoteIncludeError } from '../errors.js';
import { networkReason } from '../http/api-client.js';
import { trustingAgent } from '../http/tls-agent.js';

export interface RemoteFetcherOptions {
  readonly timeoutMs: number;
  /** The largest file accepted, in bytes. */
  readonly maxBytes: number;
  /** Trusted in addition to the system CAs (`[gitlab] ca_file`): remote files often live on the same hosts. */
  readonly caFile?: string | undefined;
  readonly logger: Logger;
  /** Redirects followed at most (GitLab's HTTP client follows a few, and so does glci). */
  readonly maxRedirects?: number;
}

export interface FetchedRemote {
  readonly content: string;
  /** Where the content came from after redirects. */
  readonly finalUrl: string;
}

/**
 * Fetches an `include:remote` file as GitLab would: HTTP or HTTPS only, no credentials sent,
 * redirects followed with care (a few at most, never from HTTPS down to HTTP, never to another
 * scheme), a size limit enforced while reading, and GitLab's own error texts.
 */
export class RemoteFileFetcher {
  #http: Promise<Got> | undefined;
  readonly #log: Logger;

  constructor(private readonly options: RemoteFetcherOptions) {
    this.#log = options.logger.child({ module: 'gitlab-remote' });
  }

  /** The HTTP client, made on the first fetch (a cached remote file needs none). */
  #client(): Promise<Got> {
    const options = this.options;
    this.#http ??= import('got').then(async ({ default: got }) =>
      got.extend({
        throwHttpErrors: false,
        followRedirect: true,
        maxRedirects: options.maxRedirects ?? 5,
        timeout: { request: options.timeoutMs },
        retry: {
          limit: 1,
          methods: ['GET'],
          statusCodes: [502, 503, 504],
          errorCodes: ['ECONNRESET', 'EPIPE'],
        },
        headers: { 'user-agent': 'glci' },
        ...(options.caFile ? { agent: { https: await trustingAgent(readCa(options.caFile)) } } : {}),
        hooks: {
          beforeRedirect: [
            (next, response) => {
              const from = new URL(response.url);
              const to = next.url instanceof URL ? next.url : new URL(String(next.url));
              if (to.protocol !== 'https:' && to.protocol !== 'http:')
                throw new RedirectRefused(`a redirect to ${to.protocol} is not followed`);
              if (from.protocol === 'https:' && to.protocol === 'http:')
                throw new RedirectRefused(
                  `a redirect from HTTPS down to ${maskUrl(to.toString())} is not followed`,
                );
            },
          ],
        },
      }),
    );
    return this.#http;
  }

  async fetch(url: string): Promise<FetchedRemote> {
    const shown = maskUrl(url);
    const parsed = parseRemoteUrl(url, shown);
    const chunks: Buffer[] = [];
    let received = 0;
    let status = 0;
    let finalUrl = parsed.toString();
    const http = await this.#client();
    const stream = http.stream(parsed);
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on(
          'response',
          (response: { statusCode: number; url: string; headers: Record<string, unknown> }) => {
            status = response.statusCode;
            finalUrl = response.url;
            const length = Number(response.headers['content-length'] ?? 0);
            if (status < 400 && length > this.options.maxBytes) reject(this.#tooLarge(shown));
          },
        );
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > this.options.maxBytes && status < 400) {
            reject(this.#tooLarge(shown));
            stream.destroy();
            return;
          }
          if (received <= this.options.maxBytes) chunks.push(chunk);
        });
        stream.on('end', () => resolve());
        stream.on('error', (error: Error) => reject(error));
      });
    } catch (error) {
      stream.destroy();
      if (error instanceof RemoteIncludeError) throw error;
      const refused = findRedirectRefusal(error);
      if (refused)
        throw new RemoteIncludeError(url, `Remote file \`${shown}\` could not be fetched: ${refused}`);
      const reason = networkReason(error);
      this.#log.debug('remote include failed', { url: shown, reason });
      throw new RemoteIncludeError(
        url,
        /timed out/.test(reason)
          ? `Remote file \`${shown}\` could not be fetched because of a timeout error!`
          : `Remote file \`${shown}\` could not be fetched because of a socket error! (${reason})`,
        /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(reason)
          ? 'its certificate is not trusted: add its CA to [gitlab] ca_file'
          : undefined,
        true,
      );
    }
    if (status >= 400)
      throw new RemoteIncludeError(
        url,
        `Remote file \`${shown}\` could not be fetched because of HTTP code \`${status}\` error!`,
      );
    return { content: Buffer.concat(chunks).toString('utf8'), finalUrl };
  }

  #tooLarge(shown: string): RemoteIncludeError {
    return new RemoteIncludeError(
      shown,
      `Remote file \`${shown}\` is larger than ${this.options.maxBytes} bytes`,
      'raise [gitlab] remote_max_size if the file is meant to be this large',
    );
  }
}

class RedirectRefused extends Error {}

function findRedirectRefusal(error: unknown): string | undefined {
  for (
    let current = error as { cause?: unknown; message?: string } | undefined;
    current;
    current = current.cause as never
  ) {
    if (current instanceof RedirectRefused) return current.message;
  }
  const message = (error as Error | undefined)?.message ?? '';
  if (/Redirected \d+ times/.test(message)) return 'it redirects too many times';
  return undefined;
}

function parseRemoteUrl(url: string, shown: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteIncludeError(url, `Remote file \`${shown}\` does not have a valid address!`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new RemoteIncludeError(
      url,
      `Remote file \`${shown}\` does not have a valid address!`,
      'use an http:// or https:// URL',
    );
  return parsed;
}

/** Credentials in a remote URL are shown as `*****`, as GitLab masks them in its messages. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = parsed.username ? '*****' : '';
    parsed.password = parsed.password ? '*****' : '';
    return parsed.toString();
  } catch {
    return url;
  }
}

function readCa(caFile: string): string {
  try {
    return readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new GitlabSetupError(
      `[gitlab] ca_file ${caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
