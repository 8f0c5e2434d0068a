import {
  BlobUnknownError,
  DeniedError,
  type Digest,
  ManifestUnknownError,
  TooManyRequestsError,
  UpstreamError,
} from '@glci/registry';
import type { UpstreamRequestError } from './upstream-client.js';

/**
 * The proxy's typed errors. They extend the registry's, so `http/oci-errors.ts` maps them without
 * knowing the proxy exists: not found anywhere → MANIFEST_UNKNOWN / BLOB_UNKNOWN naming the
 * upstreams tried; an unconfigured host → DENIED; 429 with nothing cached → TOOMANYREQUESTS with
 * `Retry-After`; other upstream failures → a 5xx (UpstreamError).
 */
export class ProxyManifestUnknownError extends ManifestUnknownError {
  constructor(
    reference: string,
    repository: string,
    readonly upstreamsTried: readonly string[],
  ) {
    super(reference, repository);
    this.message = `manifest ${reference} is not known in ${repository}${triedText(upstreamsTried)}`;
  }
}

export class ProxyBlobUnknownError extends BlobUnknownError {
  constructor(
    digest: Digest,
    repository: string,
    readonly upstreamsTried: readonly string[],
    reason?: string,
  ) {
    super(digest, repository);
    this.message = `blob ${digest.toString()} is not known in ${repository}${reason ? ` (${reason})` : triedText(upstreamsTried)}`;
  }
}

/** A host prefix or `ns` that names no configured upstream: refused, never contacted. */
export class UpstreamNotConfiguredError extends DeniedError {
  constructor(
    readonly repository: string,
    reason: string,
  ) {
    super(`${reason}; ${repository} can only be served from content pushed here`);
  }
}

function triedText(upstreams: readonly string[]): string {
  return upstreams.length > 0
    ? ` (nothing cached; upstreams tried: ${upstreams.join(', ')})`
    : ' (no upstream configured)';
}

/** The registry error for upstream failures when nothing is cached to serve instead. */
export function upstreamFailure(failures: readonly UpstreamRequestError[], what: string): Error {
  const limited = failures.find((failure) => failure.kind === 'rate-limited');
  if (limited) {
    return new TooManyRequestsError(
      `${what}: upstream rate limit reached and nothing cached (${limited.message})`,
      limited.retryAfterSeconds,
    );
  }
  const timedOut = failures.every((failure) => failure.kind === 'timeout');
  const status = timedOut ? 504 : 502;
  return new UpstreamError(
    `${what}: no upstream could serve it and nothing is cached: ${failures.map((f) => f.message).join('; ')}`,
    status,
    { cause: failures[0] },
  );
}
