import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@glci/config';
import { DigestFormatError } from '../digest.js';
import { StorageBackendError } from '../driver/s3/errors.js';
import { InvalidPathError } from '../driver/storage-driver.js';
import {
  BlobUnknownError,
  BlobUploadInvalidError,
  BlobUploadUnknownError,
  DeniedError,
  DigestInvalidError,
  DigestMismatchError,
  ManifestBlobUnknownError,
  ManifestInvalidError,
  ManifestTooLargeError,
  ManifestUnknownError,
  NameInvalidError,
  NameUnknownError,
  RegistryError,
  SizeInvalidError,
  TagInvalidError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedError,
  UploadIdleError,
  UploadRangeError,
  UploadSessionBusyError,
  UpstreamError,
} from '../errors.js';

/**
 * The one place where typed errors become OCI error bodies (`{"errors":[{code,message,detail}]}`)
 * and HTTP statuses. Handlers throw; the router catches and calls `sendError`. Unknown errors are
 * answered 500 with a generic message and logged, so internals (paths, stack traces) never leak.
 */

/** Errors that only the HTTP layer raises (request syntax that has no store-level meaning). */
export class HttpError extends RegistryError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

/** A `Range` a blob GET cannot satisfy (answered 416 with `Content-Range: bytes * /size`). */
export class RangeNotSatisfiableError extends RegistryError {
  constructor(
    readonly range: string,
    readonly size: number,
  ) {
    super(`range ${range.slice(0, 100)} cannot be satisfied for ${size} bytes`);
  }
}

export interface OciErrorResponse {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly detail?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Maps an error to its status, code and headers; `undefined` for errors that are not ours (→ 500). */
export function toOciError(error: unknown): OciErrorResponse | undefined {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      detail: error.detail,
      ...(error.headers ? { headers: error.headers } : {}),
    };
  }
  if (error instanceof BlobUnknownError) {
    return {
      status: 404,
      code: 'BLOB_UNKNOWN',
      message: error.message,
      detail: { digest: String(error.digest) },
    };
  }
  if (error instanceof BlobUploadUnknownError) {
    return { status: 404, code: 'BLOB_UPLOAD_UNKNOWN', message: error.message };
  }
  if (error instanceof UploadRangeError) {
    return {
      status: 416,
      code: 'BLOB_UPLOAD_INVALID',
      message: error.message,
      detail: { expectedOffset: error.expectedOffset, size: error.currentSize },
      headers: { Range: uploadRange(error.currentSize) },
    };
  }
  if (error instanceof UploadSessionBusyError) {
    return {
      status: 416,
      code: 'BLOB_UPLOAD_INVALID',
      message: error.message,
      detail: { size: error.currentSize, reason: 'session in use' },
      headers: { Range: uploadRange(error.currentSize) },
    };
  }
  if (error instanceof UploadIdleError) {
    return { status: 408, code: 'BLOB_UPLOAD_INVALID', message: error.message };
  }
  if (error instanceof BlobUploadInvalidError) {
    return { status: 400, code: 'BLOB_UPLOAD_INVALID', message: error.message };
  }
  if (error instanceof DigestMismatchError) {
    return {
      status: 400,
      code: 'DIGEST_INVALID',
      message: error.message,
      detail: { expected: String(error.expected), actual: String(error.actual) },
    };
  }
  if (error instanceof DigestInvalidError || error instanceof DigestFormatError) {
    return { status: 400, code: 'DIGEST_INVALID', message: error.message };
  }
  if (error instanceof ManifestBlobUnknownError) {
    return {
      status: 400,
      code: 'MANIFEST_BLOB_UNKNOWN',
      message: error.message,
      detail: { digests: error.digests.map(String) },
    };
  }
  if (error instanceof ManifestTooLargeError) {
    return {
      status: 413,
      code: 'MANIFEST_INVALID',
      message: error.message,
      detail: { size: error.size, limit: error.limit },
    };
  }
  if (error instanceof ManifestInvalidError) {
    return { status: 400, code: 'MANIFEST_INVALID', message: error.message };
  }
  if (error instanceof ManifestUnknownError) {
    return { status: 404, code: 'MANIFEST_UNKNOWN', message: error.message };
  }
  if (error instanceof NameInvalidError || error instanceof InvalidPathError) {
    return { status: 400, code: 'NAME_INVALID', message: 'invalid repository name' };
  }
  if (error instanceof NameUnknownError) {
    return { status: 404, code: 'NAME_UNKNOWN', message: error.message };
  }
  if (error instanceof TagInvalidError) {
    return { status: 400, code: 'TAG_INVALID', message: error.message };
  }
  if (error instanceof SizeInvalidError) {
    return { status: 400, code: 'SIZE_INVALID', message: error.message };
  }
  if (error instanceof UnauthorizedError) {
    return {
      status: 401,
      code: 'UNAUTHORIZED',
      message: error.message,
      ...(error.challenge ? { headers: { 'WWW-Authenticate': error.challenge } } : {}),
    };
  }
  if (error instanceof DeniedError) {
    return { status: 403, code: 'DENIED', message: error.message };
  }
  if (error instanceof UnsupportedError) {
    return { status: 405, code: 'UNSUPPORTED', message: error.message };
  }
  if (error instanceof TooManyRequestsError) {
    return {
      status: 429,
      code: 'TOOMANYREQUESTS',
      message: error.message,
      ...(error.retryAfterSeconds !== undefined
        ? { headers: { 'Retry-After': String(Math.max(0, Math.ceil(error.retryAfterSeconds))) } }
        : {}),
    };
  }
  if (error instanceof RangeNotSatisfiableError) {
    return {
      status: 416,
      code: 'RANGE_INVALID',
      message: error.message,
      headers: { 'Content-Range': `bytes */${error.size}` },
    };
  }
  if (error instanceof StorageBackendError) {
    // The object store failed: transient failures invite a retry, the rest need an operator.
    return error.retryable
      ? {
          status: 503,
          code: 'UNAVAILABLE',
          message: `storage unavailable: ${error.message}`,
          headers: { 'Retry-After': '5' },
        }
      : { status: 500, code: 'UNKNOWN', message: `storage failed: ${error.message}` };
  }
  if (error instanceof UpstreamError) {
    const status = error.status >= 500 && error.status <= 599 ? error.status : 502;
    return { status, code: status === 503 ? 'UNAVAILABLE' : 'UNKNOWN', message: error.message };
  }
  return undefined;
}

/** `Range` header value of an upload session holding `size` bytes (`0-0` when empty, as distribution does). */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

/**
 * Writes the OCI error body for `error`. When the request body was not read, the connection is
 * closed afterwards instead of draining a possibly huge upload.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): number {
  const mapped = toOciError(error);
  if (!mapped) {
    logger.error('request failed', {
      method: req.method,
      path: req.url?.split('?')[0]?.slice(0, 300),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  const response = mapped ?? { status: 500, code: 'UNKNOWN', message: 'internal server error' };
  if (res.headersSent) {
    // Mid-stream: the status is gone; cut the connection so the client sees a truncated body.
    res.destroy(error instanceof Error ? error : undefined);
    return response.status;
  }
  const body = JSON.stringify({
    errors: [
      response.detail === undefined
        ? { code: response.code, message: response.message }
        : { code: response.code, message: response.message, detail: response.detail },
    ],
  });
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...response.headers,
  };
  if (!req.complete && req.readableLength !== undefined && !drainable(req)) headers.Connection = 'close';
  res.writeHead(response.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  return response.status;
}

/**
 * An unread body is read and dropped after the answer (Node does it, and the upload handlers keep
 * a refused body flowing) when it is known to be small: a client that sends its whole body before
 * reading the answer then gets the answer, not a broken pipe. A larger body, or one of unknown size
 * (chunked), closes the connection instead of being downloaded for nothing.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

function drainable(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const length = req.headers['content-length'];
  return length === undefined || (/^[0-9]{1,16}$/.test(length) && Number(length) <= DRAIN_LIMIT_BYTES);
}
