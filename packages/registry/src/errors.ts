import type { Digest } from './digest.js';

/**
 * Typed registry errors with their context. Only `http/oci-errors.ts` maps them to OCI error codes
 * and HTTP status codes; stores and drivers never think in HTTP.
 */
export class RegistryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NameInvalidError extends RegistryError {
  constructor(readonly repository: string) {
    super(`invalid repository name ${JSON.stringify(repository.slice(0, 300))}`);
  }
}

export class NameUnknownError extends RegistryError {
  constructor(readonly repository: string) {
    super(`repository ${repository} is not known to this registry`);
  }
}

export class TagInvalidError extends RegistryError {
  constructor(readonly tag: string) {
    super(`invalid tag ${JSON.stringify(tag.slice(0, 300))}`);
  }
}

export class DigestInvalidError extends RegistryError {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** The content received does not hash to the digest the client named. */
export class DigestMismatchError extends RegistryError {
  constructor(
    readonly expected: Digest,
    readonly actual: Digest,
  ) {
    super(`content digest ${actual.toString()} does not match the expected ${expected.toString()}`);
  }
}

export class BlobUnknownError extends RegistryError {
  constructor(
    readonly digest: Digest,
    readonly repository?: string,
  ) {
    super(`blob ${digest.toString()} is not known${repository ? ` in ${repository}` : ''}`);
  }
}

export class BlobUploadUnknownError extends RegistryError {
  constructor(readonly uploadId: string) {
    super(`upload session ${uploadId.slice(0, 100)} is not known (finished, cancelled or expired)`);
  }
}

export class BlobUploadInvalidError extends RegistryError {}

/** A chunk that does not start where the session ends (answered 416 with the current range). */
export class UploadRangeError extends RegistryError {
  constructor(
    readonly uploadId: string,
    readonly expectedOffset: number,
    readonly currentSize: number,
  ) {
    super(`chunk starts at ${expectedOffset} but the upload has ${currentSize} bytes`);
  }
}

/**
 * Another request is writing the upload session (one writer at a time): answered 416 with the
 * session's current range, like a chunk that does not start at the end, so the client can
 * resynchronise with a GET once the other request is done.
 */
export class UploadSessionBusyError extends RegistryError {
  constructor(
    readonly uploadId: string,
    readonly currentSize: number,
  ) {
    super(
      `upload session ${uploadId.slice(0, 100)} is being written by another request; retry when it is done`,
    );
  }
}

/** An upload request sent no bytes for too long; its session is kept and can be resumed. */
export class UploadIdleError extends RegistryError {
  constructor(
    readonly uploadId: string,
    readonly idleMs: number,
  ) {
    super(`upload session ${uploadId.slice(0, 100)} received no bytes for ${Math.round(idleMs / 1000)} s`);
  }
}

export class SizeInvalidError extends RegistryError {}

export class ManifestUnknownError extends RegistryError {
  constructor(
    readonly reference: string,
    readonly repository?: string,
  ) {
    super(`manifest ${reference} is not known${repository ? ` in ${repository}` : ''}`);
  }
}

/**
 * A manifest GET, HEAD or DELETE by a reference that is neither a digest nor a valid tag. Nothing
 * can ever be stored under it, so it is unknown (404 MANIFEST_UNKNOWN, the only failure the spec
 * lists for these endpoints); a PUT by such a reference is a `TagInvalidError` instead.
 */
export class UnusableTagReferenceError extends ManifestUnknownError {
  constructor(reference: string, repository: string) {
    super(reference.slice(0, 300), repository);
    this.message = `no manifest is known by ${JSON.stringify(reference.slice(0, 300))} in ${repository}: it is not a valid tag`;
  }
}

export class ManifestInvalidError extends RegistryError {}

export class ManifestBlobUnknownError extends RegistryError {
  constructor(readonly digests: readonly Digest[]) {
    super(`manifest references unknown content: ${digests.map(String).join(', ')}`);
  }
}

export class ManifestTooLargeError extends RegistryError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`manifest of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** An operation the registry (or a decorator) does not offer, or has disabled (e.g. deletes). */
export class UnsupportedError extends RegistryError {}

export class UnauthorizedError extends RegistryError {
  constructor(
    message: string,
    /** The `WWW-Authenticate` challenge to send. */
    readonly challenge?: string,
  ) {
    super(message);
  }
}

export class DeniedError extends RegistryError {}

export class TooManyRequestsError extends RegistryError {
  constructor(
    message: string,
    /** Seconds, passed through as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** An upstream or storage backend failed; answered as a 5xx naming the step. */
export class UpstreamError extends RegistryError {
  constructor(
    message: string,
    readonly status: number = 502,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
