import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@glci/config';
import {
  type Action,
  type AuthRequest,
  type ConnectionInfo,
  type Credentials,
  parseCredentials,
  type RegistryAuth,
} from '../auth/authorizer.js';
import type { RegistryMetrics } from '../metrics.js';
import type { Namespace, Repository } from '../store/contracts.js';
import { HttpError } from './oci-errors.js';
import type { UploadLocations } from './upload-url.js';

/** What a namespace decorator (the pull-through proxy) may attach to a repository handle. */
interface RepositoryResponseHints {
  /** `Warning` header values (`299 - "..."`), e.g. when a stale cached copy was served. */
  readonly warnings?: readonly string[];
  /** The `ns` value that chose the upstream, echoed as `OCI-Namespace`. */
  readonly ociNamespace?: string;
}

/** Settings the handlers read; fixed for the life of a registry. */
export interface HandlerSettings {
  readonly deleteEnabled: boolean;
  readonly readOnly: boolean;
  readonly redirect: boolean;
  readonly redirectExpiresInSeconds: number;
  readonly maxManifestBytes: number;
  /** Upper bound on tags/catalog/referrers entries per response when the client gives no `n`. */
  readonly pageSize: number;
}

/** Everything a handler may use besides the request; shared by all requests of a registry. */
export interface HandlerDeps {
  readonly namespace: Namespace;
  readonly logger: Logger;
  readonly settings: HandlerSettings;
  readonly uploads: UploadLocations;
  readonly auth: RegistryAuth;
  readonly metrics?: RegistryMetrics;
}

/** One request as the handlers see it: the parsed route plus lazily built helpers. */
export class RequestContext {
  /** Bytes of request body consumed (uploads, manifests), for metrics. */
  bytesIn = 0;
  /** Bytes of response body sent, for metrics. */
  bytesOut = 0;
  #query: URLSearchParams | undefined;
  #credentials: Credentials | undefined;
  #repository: Repository | undefined;
  #controller: AbortController | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly deps: HandlerDeps,
    /** The repository name ('' for `/v2/` and the catalog). */
    readonly name: string,
    /** What follows the resource marker: a digest, tag, or upload session id. */
    readonly reference: string,
    readonly rawQuery: string,
  ) {}

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.rawQuery);
    return this.#query;
  }

  get credentials(): Credentials {
    this.#credentials ??= parseCredentials(this.req.headers.authorization);
    return this.#credentials;
  }

  get isHead(): boolean {
    return this.req.method === 'HEAD';
  }

  /** Aborted when the client goes away before the response is finished. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      this.res.once('close', () => {
        if (!this.res.writableFinished) controller.abort(new Error('client closed the connection'));
      });
    }
    return this.#controller.signal;
  }

  /**
   * The request's repository. The `ns` query parameter (OCI proxying) is passed to namespaces that
   * take it; a decorator's `warnings` become `Warning` headers and its `ociNamespace` the
   * `OCI-Namespace` header.
   */
  async repository(): Promise<Repository> {
    if (this.#repository) return this.#repository;
    const ns = this.rawQuery ? this.query.get('ns') : null;
    const lookup = this.deps.namespace.repository as (
      name: string,
      options?: { namespace?: string },
    ) => Promise<Repository & RepositoryResponseHints>;
    const repository = ns
      ? await lookup.call(this.deps.namespace, this.name, { namespace: ns })
      : await lookup.call(this.deps.namespace, this.name);
    if (repository.ociNamespace) this.res.setHeader('OCI-Namespace', repository.ociNamespace);
    const warnings = repository.warnings;
    if (Array.isArray(warnings)) {
      const res = this.res;
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
        if (warnings.length > 0 && !res.headersSent) res.setHeader('Warning', [...new Set(warnings)]);
        return writeHead.apply(this, args);
      } as ServerResponse['writeHead'];
    }
    this.#repository = repository;
    return repository;
  }

  /** Asks the auth hook about another repository (cross-repository mount); true when allowed. */
  async allowed(repository: string, actions: readonly Action[]): Promise<boolean> {
    const request: AuthRequest = {
      repository,
      actions,
      credentials: this.credentials,
      origin: originOf(this.req),
      ...connectionOf(this.req),
    };
    const decision = await this.deps.auth.authorize(request);
    return decision.kind === 'allow';
  }

  /** Content-Length of the request, `undefined` when absent (chunked transfer). */
  contentLength(): number | undefined {
    const value = this.req.headers['content-length'];
    if (value === undefined) return undefined;
    if (!/^[0-9]{1,16}$/.test(value)) {
      throw new HttpError(400, 'SIZE_INVALID', 'invalid Content-Length');
    }
    return Number(value);
  }

  /** Whether the request carries a body (a non-zero Content-Length or chunked encoding). */
  hasBody(): boolean {
    const length = this.contentLength();
    return length === undefined ? this.req.headers['transfer-encoding'] !== undefined : length > 0;
  }

  /** Reads the whole body up to `limit` bytes; `tooLarge` builds the error beyond it. */
  async readBody(limit: number, tooLarge: (size: number) => Error): Promise<Buffer> {
    const declared = this.contentLength();
    if (declared !== undefined && declared > limit) throw tooLarge(declared);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(size);
      chunks.push(chunk);
    }
    this.bytesIn += size;
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  }
}

/** `http(s)://host` as the client addressed the registry. */
export function originOf(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  return `${encrypted ? 'https' : 'http'}://${host}`;
}

/** The request's connection as the server's socket sees it (`{}` without a socket address). */
export function connectionOf(req: IncomingMessage): { connection?: ConnectionInfo } {
  const socket = req.socket;
  const localAddress = socket?.localAddress;
  const localPort = socket?.localPort;
  if (!localAddress || !localPort) return {};
  const encrypted = (socket as { encrypted?: boolean }).encrypted === true;
  const host = localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  return {
    connection: {
      local: `${encrypted ? 'https' : 'http'}://${host}:${localPort}`,
      localAddress,
      localPort,
      remoteAddress: socket.remoteAddress ?? '',
    },
  };
}

/** Sends a JSON body; for HEAD only the headers. */
export function sendJson(
  ctx: RequestContext,
  status: number,
  value: unknown,
  headers: Record<string, string | number> = {},
  contentType = 'application/json',
): void {
  const body = Buffer.from(JSON.stringify(value));
  ctx.bytesOut += ctx.isHead ? 0 : body.length;
  ctx.res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers });
  ctx.res.end(ctx.isHead ? undefined : body);
}

export type { Action };
