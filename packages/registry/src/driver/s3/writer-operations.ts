import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { PathNotFoundError } from '../storage-driver.js';
import type { WriterOperations } from './s3-file-writer.js';
import type { S3Requests } from './s3-requests.js';

/** Server-side encryption headers sent with every object written. */
export type SseHeaders = { ServerSideEncryption?: 'AES256' | 'aws:kms'; SSEKMSKeyId?: string };

/** The S3 calls of one writer: its multipart upload at `key` and its state object at `stateKey`. */
export function writerOperations(
  requests: S3Requests,
  target: { path: string; key: string; stateKey: string; sse: SseHeaders },
): WriterOperations {
  const { bucket, logger } = requests;
  const { path, key, stateKey, sse } = target;
  return {
    createUpload: async () => {
      const output = await requests.send(
        'CreateMultipartUpload',
        path,
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...sse }),
      );
      if (!output.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      logger?.debug('multipart upload started', { path, uploadId: output.UploadId });
      return output.UploadId;
    },
    uploadPart: async (uploadId, partNumber, body) => {
      const output = await requests.send(
        'UploadPart',
        path,
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
        }),
      );
      if (!output.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`);
      return output.ETag;
    },
    completeUpload: async (uploadId, parts) => {
      await requests.send(
        'CompleteMultipartUpload',
        path,
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.n, ETag: part.etag })) },
        }),
      );
      logger?.debug('multipart upload completed', { path, uploadId, parts: parts.length });
    },
    abortUpload: (uploadId) => abortUpload(requests, path, key, uploadId),
    putObject: async (body) => {
      await requests.send(
        'PutObject',
        path,
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ...sse }),
      );
    },
    putState: async (bytes) => {
      await requests.send(
        'PutObject',
        path,
        new PutObjectCommand({
          Bucket: bucket,
          Key: stateKey,
          Body: bytes,
          ContentLength: bytes.length,
          ...sse,
        }),
      );
    },
    deleteState: async () => {
      await requests.send('DeleteObject', path, new DeleteObjectCommand({ Bucket: bucket, Key: stateKey }));
    },
  };
}

/** Aborts a multipart upload; one already completed or aborted (by another node) is no error. */
export async function abortUpload(
  requests: S3Requests,
  path: string,
  key: string,
  uploadId: string,
): Promise<void> {
  try {
    await requests.send(
      'AbortMultipartUpload',
      path,
      new AbortMultipartUploadCommand({ Bucket: requests.bucket, Key: key, UploadId: uploadId }),
    );
  } catch (error) {
    if (!(error instanceof PathNotFoundError)) throw error;
  }
}
