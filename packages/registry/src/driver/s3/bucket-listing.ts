import {
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type MultipartUpload,
} from '@aws-sdk/client-s3';
import { mapS3Error } from './errors.js';
import type { ListingPage } from './list-children.js';
import type { S3Requests } from './s3-requests.js';
import { abortUpload } from './writer-operations.js';

/**
 * The S3 driver's listings: one `Delimiter: '/'` page of a directory (for `list`), whether
 * anything is under a prefix, every object under a prefix, and bulk deletes and aborts under one.
 */

export async function listPage(
  requests: S3Requests,
  path: string,
  directoryKey: string,
  page: { startAfter?: string; token?: string; maxKeys: number },
): Promise<ListingPage> {
  const output = await requests.send(
    'ListObjectsV2',
    path,
    new ListObjectsV2Command({
      Bucket: requests.bucket,
      Prefix: directoryKey,
      Delimiter: '/',
      MaxKeys: page.maxKeys,
      ...(page.token !== undefined
        ? { ContinuationToken: page.token }
        : page.startAfter !== undefined
          ? { StartAfter: `${directoryKey}${page.startAfter}` }
          : {}),
    }),
  );
  const files = (output.Contents ?? [])
    .map((object) => (object.Key ?? '').slice(directoryKey.length))
    .filter((name) => name !== '');
  const directories = (output.CommonPrefixes ?? [])
    .map((prefix) => (prefix.Prefix ?? '').slice(directoryKey.length).replace(/\/$/, ''))
    .filter((name) => name !== '');
  const keys = [...files, ...directories.map((name) => `${name}/`)].sort();
  return {
    files,
    directories,
    lastKey: keys[keys.length - 1],
    truncated: output.IsTruncated ?? false,
    nextToken: output.NextContinuationToken,
  };
}

export async function hasAnythingUnder(requests: S3Requests, path: string, prefix: string): Promise<boolean> {
  const output = await requests.send(
    'ListObjectsV2',
    path,
    new ListObjectsV2Command({ Bucket: requests.bucket, Prefix: prefix, MaxKeys: 1 }),
  );
  return (output.KeyCount ?? output.Contents?.length ?? 0) > 0;
}

/** Objects whose key starts with `prefix` (exactly `prefix` when `exact`), page by page. */
export async function* objectsUnder(
  requests: S3Requests,
  path: string | undefined,
  prefix: string,
  exact = false,
): AsyncGenerator<{ key: string; modifiedAt: Date }> {
  let token: string | undefined;
  do {
    const output = await requests.send(
      'ListObjectsV2',
      path,
      new ListObjectsV2Command({
        Bucket: requests.bucket,
        Prefix: prefix,
        MaxKeys: 1000,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of output.Contents ?? []) {
      if (!object.Key || (exact && object.Key !== prefix)) continue;
      yield { key: object.Key, modifiedAt: object.LastModified ?? new Date(0) };
    }
    token = output.IsTruncated ? output.NextContinuationToken : undefined;
  } while (token);
}

/** Deletes every object under `prefix`, 1,000 per request, reading one listing page at a time. */
export async function deleteUnder(requests: S3Requests, path: string, prefix: string): Promise<void> {
  let batch: Array<{ Key: string }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await requests.send(
      'DeleteObjects',
      path,
      new DeleteObjectsCommand({ Bucket: requests.bucket, Delete: { Objects: batch, Quiet: true } }),
    );
    batch = [];
    const failed = result.Errors?.[0];
    if (failed) {
      throw mapS3Error(
        { Code: failed.Code, message: failed.Message },
        { driver: requests.driver, operation: 'DeleteObjects', bucket: requests.bucket, path },
      );
    }
  };
  for await (const object of objectsUnder(requests, path, prefix)) {
    batch.push({ Key: object.key });
    if (batch.length === 1000) await flush();
  }
  await flush();
}

/** Every multipart upload in progress whose key starts with `prefix`. */
export async function* multipartUploadsUnder(
  requests: S3Requests,
  path: string | undefined,
  prefix: string,
): AsyncGenerator<MultipartUpload & { Key: string; UploadId: string }> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const output = await requests.send(
      'ListMultipartUploads',
      path,
      new ListMultipartUploadsCommand({
        Bucket: requests.bucket,
        Prefix: prefix,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
      }),
    );
    for (const upload of output.Uploads ?? []) {
      if (upload.Key && upload.UploadId) yield upload as MultipartUpload & { Key: string; UploadId: string };
    }
    if (!output.IsTruncated || !output.NextKeyMarker) return;
    keyMarker = output.NextKeyMarker;
    uploadIdMarker = output.NextUploadIdMarker;
  }
}

/** Aborts multipart uploads of `key` and of keys under `key/` (writers never committed). */
export async function abortUploadsUnder(requests: S3Requests, path: string, key: string): Promise<void> {
  for await (const upload of multipartUploadsUnder(requests, path, key)) {
    if (upload.Key !== key && !upload.Key.startsWith(`${key}/`)) continue;
    await abortUpload(requests, path, upload.Key, upload.UploadId);
  }
}
