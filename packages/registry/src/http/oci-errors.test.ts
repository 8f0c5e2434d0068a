import { describe, expect, it } from 'vitest';
import { DigestFormatError, parseDigest } from '../digest.js';
import { StorageBackendError } from '../driver/s3/errors.js';
import { InvalidPathError, PathNotFoundError } from '../driver/storage-driver.js';
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
  SizeInvalidError,
  TagInvalidError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedError,
  UnusableTagReferenceError,
  UploadRangeError,
  UpstreamError,
} from '../errors.js';
import { HttpError, RangeNotSatisfiableError, toOciError } from './oci-errors.js';

const digest = parseDigest(`sha256:${'a'.repeat(64)}`);
const other = parseDigest(`sha256:${'b'.repeat(64)}`);

describe('toOciError', () => {
  it.each([
    [new BlobUnknownError(digest, 'r'), 404, 'BLOB_UNKNOWN'],
    [new BlobUploadInvalidError('bad'), 400, 'BLOB_UPLOAD_INVALID'],
    [new BlobUploadUnknownError('id'), 404, 'BLOB_UPLOAD_UNKNOWN'],
    [new UploadRangeError('id', 10, 5), 416, 'BLOB_UPLOAD_INVALID'],
    [new DigestInvalidError('x', 'bad'), 400, 'DIGEST_INVALID'],
    [new DigestFormatError('x', 'bad'), 400, 'DIGEST_INVALID'],
    [new DigestMismatchError(digest, other), 400, 'DIGEST_INVALID'],
    [new ManifestBlobUnknownError([digest]), 400, 'MANIFEST_BLOB_UNKNOWN'],
    [new ManifestInvalidError('bad'), 400, 'MANIFEST_INVALID'],
    [new ManifestTooLargeError(10, 5), 413, 'MANIFEST_INVALID'],
    [new ManifestUnknownError('latest', 'r'), 404, 'MANIFEST_UNKNOWN'],
    [new NameInvalidError('A'), 400, 'NAME_INVALID'],
    [new InvalidPathError('fs', '/a/../b'), 400, 'NAME_INVALID'],
    [new NameUnknownError('r'), 404, 'NAME_UNKNOWN'],
    [new TagInvalidError('-x'), 400, 'TAG_INVALID'],
    [new UnusableTagReferenceError('..', 'a/b'), 404, 'MANIFEST_UNKNOWN'],
    [new SizeInvalidError('bad'), 400, 'SIZE_INVALID'],
    [new UnauthorizedError('who', 'Basic realm="x"'), 401, 'UNAUTHORIZED'],
    [new DeniedError('no'), 403, 'DENIED'],
    [new UnsupportedError('no'), 405, 'UNSUPPORTED'],
    [new TooManyRequestsError('slow', 7), 429, 'TOOMANYREQUESTS'],
    [new RangeNotSatisfiableError('bytes=9-', 3), 416, 'RANGE_INVALID'],
    [new UpstreamError('upstream x failed', 503), 503, 'UNAVAILABLE'],
    [new UpstreamError('upstream x failed', 404), 502, 'UNKNOWN'],
    [new HttpError(411, 'SIZE_INVALID', 'length'), 411, 'SIZE_INVALID'],
    [
      new StorageBackendError('slow down', 's3', 'throttled', { operation: 'UploadPart', bucket: 'b' }),
      503,
      'UNAVAILABLE',
    ],
    [
      new StorageBackendError('denied', 's3', 'access-denied', { operation: 'PutObject', bucket: 'b' }),
      500,
      'UNKNOWN',
    ],
  ])('%s → %i %s', (error, status, code) => {
    expect(toOciError(error)).toMatchObject({ status, code });
  });

  it('passes headers the client needs: challenge, Retry-After, upload Range, Content-Range', () => {
    expect(toOciError(new UnauthorizedError('x', 'Bearer realm="r"'))?.headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="r"',
    });
    expect(toOciError(new TooManyRequestsError('x', 2.5))?.headers).toEqual({ 'Retry-After': '3' });
    const throttled = new StorageBackendError('slow', 's3', 'throttled', {
      operation: 'GetObject',
      bucket: 'b',
    });
    expect(toOciError(throttled)?.headers).toEqual({ 'Retry-After': '5' });
    expect(toOciError(new UploadRangeError('id', 10, 5))?.headers).toEqual({ Range: '0-4' });
    expect(toOciError(new RangeNotSatisfiableError('bytes=9-', 3))?.headers).toEqual({
      'Content-Range': 'bytes */3',
    });
  });

  it('does not map errors that are not the registry’s (they become a generic 500)', () => {
    expect(toOciError(new Error('ENOENT /var/lib/secret/path'))).toBeUndefined();
    expect(toOciError(new PathNotFoundError('fs', '/x'))).toBeUndefined();
    expect(toOciError('string')).toBeUndefined();
  });
});
