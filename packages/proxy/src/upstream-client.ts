import type { Readable } from 'node:stream';
import type { Descriptor } from '@glci/registry';

/**
 * What the proxy needs from one upstream registry. Repository names are the upstream's own
 * (`library/alpine`, never `docker.io/library/alpine`). "Not there" is `undefined`; every other
 * failure rejects with `UpstreamRequestError`, whose `kind` tells the caches whether a stale copy
 * may be served instead.
 */
export interface UpstreamClient {
  /** The upstream's base URL (`https://registry-1.docker.io`), for messages. */
  readonly url: string;
  ping(options?: RequestOptions): Promise<void>;
  /** Resolves a tag or digest with a HEAD (which Docker Hub does not count as a pull). */
  headManifest(
    repository: string,
    reference: string,
    options?: RequestOptions,
  ): Promise<Descriptor | undefined>;
  getManifest(
    repository: string,
    reference: string,
    options?: RequestOptions,
  ): Promise<UpstreamManifest | undefined>;
  headBlob(repository: string, digest: string, options?: RequestOptions): Promise<Descriptor | undefined>;
  /** Opens the blob; the caller must consume or destroy `stream`. */
  getBlob(repository: string, digest: string, options?: RequestOptions): Promise<UpstreamBlob | undefined>;
  /**
   * The referrers of `digest`: from the OCI 1.1 referrers API when the upstream has it, else from
   * the referrers tag schema (an index under `sha256-<hex>`). Unfiltered, every page. `undefined`
   * when the upstream has neither the API nor that tag.
   */
  getReferrers(
    repository: string,
    digest: string,
    options?: RequestOptions,
  ): Promise<UpstreamReferrers | undefined>;
  /** Every tag, following `Link` pages (bounded); `undefined` when the repository is unknown. */
  listTags(repository: string, options?: RequestOptions): Promise<string[] | undefined>;
  /** Uploads a blob monolithically from a stream of exactly `size` bytes. */
  pushBlob(
    repository: string,
    digest: string,
    content: () => Promise<Readable>,
    size: number,
    options?: RequestOptions,
  ): Promise<void>;
  pushManifest(
    repository: string,
    reference: string,
    content: Uint8Array,
    mediaType: string,
    options?: RequestOptions,
  ): Promise<void>;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Token scope actions; `pull` unless pushing. */
  readonly actions?: readonly ('pull' | 'push')[];
}

export interface UpstreamManifest {
  readonly descriptor: Descriptor;
  readonly content: Uint8Array;
}

export interface UpstreamReferrers {
  readonly descriptors: readonly Descriptor[];
  /** Where they came from: the referrers API or the referrers tag. */
  readonly source: 'api' | 'tag';
  /** Bytes the answer took (all pages). */
  readonly bytes: number;
}

export interface UpstreamBlob {
  readonly descriptor: Descriptor;
  readonly stream: Readable;
}

/** Every manifest type the proxy caches; sent as `Accept` so upstreams never convert. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.artifact.manifest.v1+json',
] as const;

/**
 * - `unreachable`: connection refused, reset, DNS failure.
 * - `timeout`: no answer in time.
 * - `server-error`: a 5xx.
 * - `rate-limited`: a 429 (`retryAfterSeconds` from `Retry-After`).
 * - `unauthorized` / `denied`: 401 after authenticating, 403.
 * - `invalid`: an answer the proxy cannot use (wrong digest, bad JSON, unexpected status).
 */
export type UpstreamFailureKind =
  | 'unreachable'
  | 'timeout'
  | 'server-error'
  | 'rate-limited'
  | 'unauthorized'
  | 'denied'
  | 'invalid';

export class UpstreamRequestError extends Error {
  constructor(
    readonly upstream: string,
    readonly kind: UpstreamFailureKind,
    message: string,
    readonly details: { status?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(`${upstream}: ${message}`, { cause: details.cause });
    this.name = 'UpstreamRequestError';
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }

  /**
   * Whether this upstream refused access (401 after authenticating, 403): for a lookup over several
   * upstreams it means "not here" (an anonymous token on GitLab for a name it does not hold is
   * refused, not 404), so the next upstream is asked and nothing found anywhere stays a 404.
   */
  get meansAbsent(): boolean {
    return this.kind === 'unauthorized' || this.kind === 'denied';
  }

  /** Whether a cached copy should be served instead (upstream down, slow, failing or limiting). */
  get allowsStale(): boolean {
    return (
      this.kind === 'unreachable' ||
      this.kind === 'timeout' ||
      this.kind === 'server-error' ||
      this.kind === 'rate-limited'
    );
  }
}
