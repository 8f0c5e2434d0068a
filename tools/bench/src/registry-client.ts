import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Dispatcher, Pool } from 'undici';
import type { BlobSource } from './blob-source.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** The manifest media types a client accepts, as docker sends them. */
export const MANIFEST_ACCEPT = [
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface ClientOptions {
  /** Keep-alive connections in the pool (the manifest rows use one per concurrent client). */
  readonly connections?: number;
}

type Body = Dispatcher.DispatchOptions['body'];

/** Failure of one registry request, with what the registry answered. */
export class RegistryRequestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} answered ${status}: ${body.slice(0, 300)}`);
    this.name = 'RegistryRequestError';
  }
}

/**
 * A lean streaming client for the distribution API on undici's connection pool, so that the
 * benchmark's own side is never the bottleneck: request bodies are streamed from generators,
 * response bodies are counted and dropped, connections are kept alive.
 */
export class RegistryClient implements AsyncDisposable {
  readonly #pool: Pool;

  constructor(
    readonly baseUrl: string,
    options: ClientOptions = {},
  ) {
    this.#pool = new Pool(baseUrl, {
      connections: options.connections ?? 4,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
  }

  /** One request; the body is read as text unless `drop` is set. Throws on an unexpected status. */
  async request(
    method: Dispatcher.HttpMethod,
    path: string,
    options: { headers?: Record<string, string>; body?: Body; expect: readonly number[]; drop?: boolean },
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const response = await this.#pool.request({
      method,
      path,
      headers: options.headers ?? {},
      body: options.body ?? null,
    });
    if (!options.expect.includes(response.statusCode)) {
      const text = await response.body.text().catch(() => '');
      throw new RegistryRequestError(method, path, response.statusCode, text);
    }
    if (options.drop) {
      await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      return { status: response.statusCode, headers: response.headers, text: '' };
    }
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  }

  /** `POST /v2/<repo>/blobs/uploads/`; returns the session's path and query. */
  async startUpload(repo: string): Promise<string> {
    const response = await this.request('POST', `/v2/${repo}/blobs/uploads/`, {
      expect: [202],
      headers: { 'content-length': '0' },
    });
    return this.#location(response.headers);
  }

  /** Monolithic upload: POST, then one PUT carrying the whole blob. */
  async pushMonolithic(repo: string, blob: BlobSource): Promise<void> {
    const session = await this.startUpload(repo);
    await this.request('PUT', withDigest(session, blob.digest), {
      expect: [201],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: streamOf(blob.blocks()),
      drop: true,
    });
  }

  /** Chunked upload: POST, one PATCH with `Content-Range` per chunk, then a closing PUT without a body. */
  async pushChunked(repo: string, blob: BlobSource, chunkSize: number): Promise<void> {
    let session = await this.startUpload(repo);
    for (let start = 0; start < blob.size; start += chunkSize) {
      const end = Math.min(blob.size, start + chunkSize);
      const response = await this.request('PATCH', session, {
        expect: [202],
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(end - start),
          'content-range': `${start}-${end - 1}`,
        },
        body: streamOf(blob.blocks(start, end)),
        drop: true,
      });
      session = this.#location(response.headers);
    }
    await this.request('PUT', withDigest(session, blob.digest), {
      expect: [201],
      headers: { 'content-length': '0' },
      drop: true,
    });
  }

  /** Small blob in one monolithic upload; returns its digest. */
  async pushBytes(repo: string, bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const session = await this.startUpload(repo);
    await this.request('PUT', withDigest(session, digest), {
      expect: [201],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      body: bytes,
      drop: true,
    });
    return digest;
  }

  /** `GET` a blob and count its bytes (hashing them too when `verify` is given). */
  async pullBlob(repo: string, digest: string, options: { verify?: boolean } = {}): Promise<number> {
    const response = await this.#pool.request({ method: 'GET', path: `/v2/${repo}/blobs/${digest}` });
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => '');
      throw new RegistryRequestError('GET', `/v2/${repo}/blobs/${digest}`, response.statusCode, text);
    }
    const hash = options.verify ? createHash('sha256') : undefined;
    let bytes = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      hash?.update(chunk);
    }
    if (hash && `sha256:${hash.digest('hex')}` !== digest) {
      throw new Error(`GET /v2/${repo}/blobs/${digest} returned other bytes`);
    }
    return bytes;
  }

  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<void> {
    await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      expect: [201],
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
      drop: true,
    });
  }

  /** The pool itself, for load loops that issue many small requests. */
  get dispatcher(): Pool {
    return this.#pool;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#pool.destroy();
  }

  #location(headers: Record<string, string | string[] | undefined>): string {
    const location = headers.location;
    if (typeof location !== 'string') throw new Error('the registry answered without a Location header');
    const url = new URL(location, this.baseUrl);
    return `${url.pathname}${url.search}`;
  }
}

function withDigest(session: string, digest: string): string {
  return `${session}${session.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

function streamOf(blocks: Iterable<Buffer>): Readable {
  return Readable.from(blocks, { objectMode: false, highWaterMark: 8 * 1024 * 1024 });
}
