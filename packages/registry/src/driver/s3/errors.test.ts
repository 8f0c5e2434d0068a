import { describe, expect, it } from 'vitest';
import { PathNotFoundError } from '../storage-driver.js';
import { mapS3Error, StorageBackendError } from './errors.js';

const context = { driver: 's3', operation: 'GetObject', bucket: 'ci-registry', path: '/v1/x' };

function failureOf(error: unknown): string | undefined {
  const mapped = mapS3Error(error, context);
  return mapped instanceof StorageBackendError ? mapped.failure : mapped.constructor.name;
}

// The shapes the AWS SDK v3 and Node's network stack produce; the real server is exercised by
// s3-driver-failures.s3.docker.test.ts.
describe('mapS3Error', () => {
  it.each([
    [{ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 'PathNotFoundError'],
    [{ name: 'NotFound', $metadata: { httpStatusCode: 404 } }, 'PathNotFoundError'],
    [{ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, 'bucket'],
    [
      { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' },
      'credentials',
    ],
    [{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 'access-denied'],
    [{ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } }, 'access-denied'],
    [{ name: 'Unknown', $metadata: { httpStatusCode: 403 } }, 'access-denied'],
    [{ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 5 } }, 'throttled'],
    [{ name: 'Unknown', $metadata: { httpStatusCode: 429 } }, 'throttled'],
    [{ name: 'InternalError', $metadata: { httpStatusCode: 500, attempts: 5 } }, 'server'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'unreachable'],
    [new Error('request failed', { cause: { code: 'ENOTFOUND' } }), 'unreachable'],
    [{ name: 'TimeoutError', message: 'Connection timed out after 10000 ms' }, 'unreachable'],
    [Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'tls'],
    [{ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } }, 'request'],
  ])('maps %j to %s', (error, expected) => {
    expect(failureOf(error)).toBe(expected);
  });

  it('keeps a 404 without a path as a backend error, not a missing path', () => {
    const mapped = mapS3Error({ name: 'NoSuchKey' }, { driver: 's3', operation: 'GetObject', bucket: 'b' });
    expect(mapped).not.toBeInstanceOf(PathNotFoundError);
  });

  it('names the operation, bucket and path, and says which failures are worth retrying', () => {
    const mapped = mapS3Error({ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 5 } }, context);
    expect(mapped).toBeInstanceOf(StorageBackendError);
    const error = mapped as StorageBackendError;
    expect(error.message).toContain('GetObject on s3://ci-registry (/v1/x)');
    expect(error.message).toContain('after 5 attempts');
    expect(error.details).toMatchObject({
      operation: 'GetObject',
      bucket: 'ci-registry',
      code: 'SlowDown',
      status: 503,
    });
    expect(error.retryable).toBe(true);
    expect((mapS3Error({ name: 'AccessDenied' }, context) as StorageBackendError).retryable).toBe(false);
  });
});
