import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { Logger } from '@glci/config';
import { mapS3Error } from './errors.js';
import type { WriterOperations } from './s3-file-writer.js';
import type { S3Requests } from './s3-requests.js';

/**
 * Work the S3 server does for the driver without the data passing through the node: a copy of an
 * object above CopyObject's 5 GiB limit, part by part, and the start-up check that the server
 * honours conditional writes.
 */

/** Copies `source` to the destination writer's key with `UploadPartCopy`, `partSize` at a time. */
export async function multipartCopy(
  requests: S3Requests,
  copy: {
    readonly source: { readonly path: string; readonly key: string; readonly copySource: string };
    readonly destination: WriterOperations;
    readonly destinationKey: string;
    readonly size: number;
    readonly partSize: number;
  },
): Promise<void> {
  const { source, destination, size } = copy;
  const uploadId = await destination.createUpload();
  try {
    const parts: Array<{ n: number; etag: string; size: number }> = [];
    for (let offset = 0, n = 1; offset < size; offset += copy.partSize, n += 1) {
      const end = Math.min(size, offset + copy.partSize) - 1;
      const output = await requests.send(
        'UploadPartCopy',
        source.path,
        new UploadPartCopyCommand({
          Bucket: requests.bucket,
          Key: copy.destinationKey,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: source.copySource,
          CopySourceRange: `bytes=${offset}-${end}`,
        }),
      );
      const etag = output.CopyPartResult?.ETag;
      if (!etag) throw new Error(`UploadPartCopy ${n} returned no ETag`);
      parts.push({ n, etag, size: end - offset + 1 });
    }
    await destination.completeUpload(uploadId, parts);
  } catch (error) {
    await destination.abortUpload(uploadId).catch(() => undefined);
    throw error;
  }
}

/**
 * Upload-session leases rest on exclusive creates (`If-None-Match: *`). AWS S3, MinIO and versitygw
 * honour it; on a store that ignores it two nodes could write one session at once. Integrity does
 * not depend on it (a commit checks the digest of what it publishes), but the operator is told.
 */
export async function checkConditionalWrites(
  client: S3Client,
  bucket: string,
  root: string,
  logger: Logger | undefined,
): Promise<void> {
  // `~` keeps the probe out of every driver path (and so out of every listing).
  const key = `${root}~probe-${randomUUID()}`;
  const create = () =>
    client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array([1]), IfNoneMatch: '*' }),
    );
  try {
    await create().catch((error: unknown) => {
      throw mapS3Error(error, { driver: 's3', operation: 'PutObject', bucket });
    });
    const honoured = await create().then(
      () => false,
      (error: unknown) => {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409) return true;
        throw mapS3Error(error, { driver: 's3', operation: 'PutObject', bucket });
      },
    );
    if (!honoured) {
      logger?.warn(
        'the S3 server ignores conditional writes (If-None-Match): an upload session may be written by two nodes at once',
        { bucket },
      );
    }
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }
}
