import { PathNotFoundError, StorageDriverError } from '../storage-driver.js';

/**
 * What went wrong talking to the object store, in terms an operator can act on. The HTTP layer
 * answers every `StorageBackendError` with a 5xx (503 + `Retry-After` when `retryable`).
 */
export type StorageBackendFailure =
  /** No credentials could be found (config, environment, shared files, instance role). */
  | 'credentials'
  /** The bucket does not exist (or the endpoint/region is wrong for it). */
  | 'bucket'
  /** The credentials were refused: wrong key or secret, or a policy denies the action. */
  | 'access-denied'
  /** The endpoint could not be reached (refused, DNS, timeout, reset). */
  | 'unreachable'
  /** The endpoint's TLS certificate is not trusted (self-signed, unknown CA, wrong name, expired). */
  | 'tls'
  /** Throttled (SlowDown, 503) even after the retries with backoff. */
  | 'throttled'
  /** The store answered 5xx even after the retries. */
  | 'server'
  /** Anything else the store refused (a 4xx the driver does not expect). */
  | 'request';

export class StorageBackendError extends StorageDriverError {
  constructor(
    message: string,
    driver: string,
    readonly failure: StorageBackendFailure,
    readonly details: {
      readonly path?: string;
      /** The S3 operation, e.g. `UploadPart`. */
      readonly operation: string;
      readonly bucket: string;
      /** The S3 error code or Node's network error code, when known. */
      readonly code?: string;
      readonly status?: number;
      readonly attempts?: number;
    },
    options?: { cause?: unknown },
  ) {
    super(message, driver, details.path, options);
  }

  /** Whether trying again later may succeed (throttling, unreachable endpoint, 5xx). */
  get retryable(): boolean {
    return this.failure === 'throttled' || this.failure === 'unreachable' || this.failure === 'server';
  }
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AccountProblem',
  'AllAccessDisabled',
]);
const THROTTLED = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const TLS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/**
 * Maps an AWS SDK (or Node network) error to the driver's typed errors. `NoSuchKey`/404 becomes
 * `PathNotFoundError` when a path is given; everything else a `StorageBackendError` naming the
 * failure, operation, bucket and path. Credentials never appear in the message.
 */
export function mapS3Error(
  error: unknown,
  context: { driver: string; operation: string; bucket: string; path?: string },
): Error {
  if (error instanceof StorageDriverError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const code = shape.Code ?? (shape.name && shape.name !== 'Error' ? shape.name : undefined) ?? shape.code;
  const networkCode = shape.code ?? findCauseCode(error);
  const status = shape.$metadata?.httpStatusCode;
  const attempts = shape.$metadata?.attempts;
  const where = `${context.operation} on s3://${context.bucket}${context.path ? ` (${context.path})` : ''}`;
  const details = {
    operation: context.operation,
    bucket: context.bucket,
    ...(context.path !== undefined ? { path: context.path } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
  };
  const fail = (failure: StorageBackendFailure, message: string) =>
    new StorageBackendError(`${where}: ${message}`, context.driver, failure, details, { cause: error });

  if (code === 'NoSuchBucket') {
    return fail('bucket', `bucket ${context.bucket} does not exist (check bucket, region and endpoint)`);
  }
  if (code !== undefined && NOT_FOUND.has(code) && context.path !== undefined) {
    return new PathNotFoundError(context.driver, context.path);
  }
  if (shape.name === 'CredentialsProviderError' || code === 'CredentialsProviderError') {
    return fail(
      'credentials',
      'no S3 credentials: set access_key_id and secret_access_key, or provide them through the AWS default chain',
    );
  }
  if ((code !== undefined && ACCESS_DENIED.has(code)) || status === 403) {
    return fail(
      'access-denied',
      `access denied (${code ?? status}): check the credentials and bucket policy`,
    );
  }
  if ((code !== undefined && THROTTLED.has(code)) || status === 503 || status === 429) {
    return fail('throttled', `throttled by the store (${code ?? status}) after ${attempts ?? 1} attempts`);
  }
  if (networkCode !== undefined && TLS.has(networkCode)) {
    return fail(
      'tls',
      `the endpoint's TLS certificate is not trusted (${networkCode}): add its CA to NODE_EXTRA_CA_CERTS, or set insecure = true for a test server`,
    );
  }
  if ((networkCode !== undefined && NETWORK.has(networkCode)) || (code !== undefined && NETWORK.has(code))) {
    return fail('unreachable', `endpoint unreachable (${networkCode ?? code})`);
  }
  if (status !== undefined && status >= 500) {
    return fail(
      'server',
      `the store failed with ${status} ${code ?? ''} after ${attempts ?? 1} attempts`.trim(),
    );
  }
  return fail('request', `${code ?? 'error'}${shape.message ? `: ${shape.message}` : ''}`);
}

function findCauseCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
