import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Logger } from '@glci/config';
import { mapS3Error, StorageBackendError } from './s3/errors.js';
import { LargeReadAgent } from './s3/large-read-agent.js';
import { type ListingPage, listChildren } from './s3/list-children.js';
import { normalizePrefix, type S3DriverOptions } from './s3/options.js';
import { MIN_PART_SIZE, S3FileWriter, type WriterOperations } from './s3/s3-file-writer.js';
import { decodeWriterState } from './s3/writer-state.js';
import {
  assertValidPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  PathNotFoundError,
  type StorageDriver,
} from './storage-driver.js';

export type { S3DriverOptions } from './s3/options.js';

/** Any S3 command, carrying its output type for `#send`. */
type SendableCommand<Output> = { readonly input: object } & {
  resolveMiddleware(...args: never[]): (...args: never[]) => Promise<{ output: Output }>;
};

/*
 * In the bucket, under `prefix`:
 *
 *   <prefix>/<path>             committed files, at their driver path (`/a/b` → `<prefix>/a/b`);
 *                               multipart uploads in progress target the same key, invisible until
 *                               completed
 *   <prefix>/~writers/<path>    state of a closed, uncommitted writer (s3/writer-state.ts)
 *
 * `~` never appears in a driver path, so the state area cannot collide with content and `list`
 * hides it. Nodes share nothing but this layout: any node resumes any writer from its state.
 */
const NAME = 's3';
const WRITERS = '~writers/';
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** CopyObject's limit; larger moves copy part by part on the server. */
const MAX_COPY_OBJECT_SIZE = 5 * 1024 * 1024 * 1024;
const COPY_PART_SIZE = 512 * 1024 * 1024;

/** The S3 storage driver (AWS S3 and S3-compatible stores), on the AWS SDK v3. */
export class S3Driver implements StorageDriver {
  readonly name = NAME;
  readonly bucket: string;
  readonly #root: string;
  readonly #client: S3Client;
  readonly #options: S3DriverOptions;
  readonly #logger: Logger | undefined;

  constructor(options: S3DriverOptions) {
    this.#options = options;
    this.bucket = options.bucket;
    this.#root = normalizePrefix(options.prefix);
    this.#logger = options.logger?.child({ module: 'registry.s3', bucket: options.bucket });
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    this.#client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      maxAttempts: options.maxAttempts ?? 5,
      retryMode: 'standard',
      // Checksums only where S3 requires them (DeleteObjects): S3-compatible servers differ in
      // what they accept, and the registry verifies every blob's digest itself.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        // Blobs relayed from a plain-HTTP store arrive in reads of up to 512 KiB (large-read-agent.ts).
        httpAgent: new LargeReadAgent(agentOptions),
        httpsAgent: new HttpsAgent({ ...agentOptions, rejectUnauthorized: !(options.insecure ?? false) }),
        connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      },
    });
  }

  /** Checks that the bucket exists and the credentials may use it; throws a `StorageBackendError`. */
  async verify(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw mapS3Error(status === 404 ? Object.assign(error as object, { Code: 'NoSuchBucket' }) : error, {
        driver: NAME,
        operation: 'HeadBucket',
        bucket: this.bucket,
      });
    }
  }

  async getContent(path: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const key = this.#key(path);
    const response = await this.#send(
      'GetObject',
      path,
      new GetObjectCommand({ Bucket: this.bucket, Key: key }),
      options.signal,
    );
    try {
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      throw mapS3Error(error, { driver: NAME, operation: 'GetObject', bucket: this.bucket, path });
    }
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    const key = this.#key(path);
    // lib-storage: one PutObject for small content, a multipart upload beyond the part size.
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.bucket, Key: key, Body: content, ContentLength: content.length, ...this.#sse() },
      partSize: this.#partSize(),
      queueSize: this.#options.queueSize ?? 2,
    });
    try {
      await upload.done();
    } catch (error) {
      throw mapS3Error(error, { driver: NAME, operation: 'PutObject', bucket: this.bucket, path });
    }
  }

  async reader(
    path: string,
    options: { offset?: number; length?: number; signal?: AbortSignal } = {},
  ): Promise<Readable> {
    const key = this.#key(path);
    const offset = options.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidOffsetError(NAME, path, offset);
    if (options.length !== undefined && options.length <= 0) {
      const info = await this.stat(path);
      if (info.isDirectory) throw new PathNotFoundError(NAME, path);
      if (offset > info.size) throw new InvalidOffsetError(NAME, path, offset);
      return Readable.from([]);
    }
    const range =
      offset === 0 && options.length === undefined
        ? undefined
        : `bytes=${offset}-${options.length !== undefined ? offset + options.length - 1 : ''}`;
    try {
      const response = await this.#client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: range } : {}) }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      return (response.Body as Readable | undefined) ?? Readable.from([]);
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidRange') {
        throw mapS3Error(error, { driver: NAME, operation: 'GetObject', bucket: this.bucket, path });
      }
    }
    // 416: the offset is at or past the end (S3 refuses any range of an empty object).
    const info = await this.stat(path);
    if (offset === info.size && !info.isDirectory) return Readable.from([]);
    throw new InvalidOffsetError(NAME, path, offset);
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    const key = this.#key(path);
    const stateKey = this.#stateKey(path);
    const pending = await this.#readState(path, stateKey);
    if (options.append && !pending) throw new PathNotFoundError(NAME, path);
    if (!options.append && pending) {
      // Discard the pending content: a writer without append starts empty.
      if (pending.uploadId !== undefined) await this.#abort(path, key, pending.uploadId);
      await this.#send('DeleteObject', path, new DeleteObjectCommand({ Bucket: this.bucket, Key: stateKey }));
    }
    return new S3FileWriter({
      driver: NAME,
      path,
      partSize: this.#partSize(),
      queueSize: this.#options.queueSize ?? 2,
      operations: this.#writerOperations(path, key, stateKey),
      ...(options.append && pending ? { resumed: pending } : {}),
    });
  }

  async stat(path: string): Promise<FileInfo> {
    const key = this.#key(path);
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        path,
        size: head.ContentLength ?? 0,
        modifiedAt: head.LastModified ?? new Date(0),
        isDirectory: false,
      };
    } catch (error) {
      const mapped = mapS3Error(error, { driver: NAME, operation: 'HeadObject', bucket: this.bucket, path });
      if (!(mapped instanceof PathNotFoundError)) throw mapped;
    }
    const listing = await this.#send(
      'ListObjectsV2',
      path,
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${key}/`, MaxKeys: 1 }),
    );
    const first = listing.Contents?.[0];
    if (!first) throw new PathNotFoundError(NAME, path);
    return { path, size: 0, modifiedAt: first.LastModified ?? new Date(0), isDirectory: true };
  }

  async list(path: string, options: { startAfter?: string; limit?: number } = {}): Promise<string[]> {
    const directoryKey = `${this.#key(path)}/`;
    let after: string | undefined;
    if (options.startAfter !== undefined) {
      if (options.startAfter.startsWith(`${path}/`)) after = options.startAfter.slice(path.length + 1);
      else if (options.startAfter >= `${path}/`) return await this.#emptyPage(path, directoryKey);
    }
    if (options.limit !== undefined && options.limit <= 0) return await this.#emptyPage(path, directoryKey);
    const { names, sawAnything } = await listChildren(
      {
        page: (page) => this.#listPage(path, directoryKey, page),
        hasDirectory: (name) => this.#hasAnythingUnder(path, `${directoryKey}${name}/`),
      },
      {
        ...(after !== undefined ? { startAfter: after } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      },
    );
    if (names.length === 0) {
      if (!sawAnything && after === undefined) throw new PathNotFoundError(NAME, path);
      return await this.#emptyPage(path, directoryKey);
    }
    return names.map((name) => `${path}/${name}`);
  }

  async move(sourcePath: string, destinationPath: string): Promise<void> {
    const source = this.#key(sourcePath);
    const destination = this.#key(destinationPath);
    const head = await this.#send(
      'HeadObject',
      sourcePath,
      new HeadObjectCommand({ Bucket: this.bucket, Key: source }),
    );
    const size = head.ContentLength ?? 0;
    if (size <= MAX_COPY_OBJECT_SIZE) {
      await this.#send(
        'CopyObject',
        destinationPath,
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: destination,
          CopySource: this.#copySource(source),
          ...this.#sse(),
        }),
      );
    } else {
      await this.#multipartCopy(sourcePath, source, destinationPath, destination, size);
    }
    await this.#send(
      'DeleteObject',
      sourcePath,
      new DeleteObjectCommand({ Bucket: this.bucket, Key: source }),
    );
  }

  async delete(path: string): Promise<void> {
    const key = this.#key(path);
    const stateKey = this.#stateKey(path);
    await Promise.all([
      this.#send('DeleteObject', path, new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
      this.#deleteUnder(path, `${key}/`),
      this.#send('DeleteObject', path, new DeleteObjectCommand({ Bucket: this.bucket, Key: stateKey })),
      this.#deleteUnder(path, `${stateKey}/`),
      this.#abortUploadsUnder(path, key),
    ]);
  }

  async redirectUrl(
    path: string,
    options: { method: 'GET' | 'HEAD'; expiresInSeconds: number },
  ): Promise<string | undefined> {
    const key = this.#key(path);
    if (!this.#options.redirect) return undefined;
    const command =
      options.method === 'GET'
        ? new GetObjectCommand({ Bucket: this.bucket, Key: key })
        : new HeadObjectCommand({ Bucket: this.bucket, Key: key });
    try {
      return await getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
    } catch (error) {
      throw mapS3Error(error, { driver: NAME, operation: 'Presign', bucket: this.bucket, path });
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  // ---- internals ------------------------------------------------------------------------------

  #key(path: string): string {
    assertValidPath(NAME, path);
    return `${this.#root}${path.slice(1)}`;
  }

  #stateKey(path: string): string {
    return `${this.#root}${WRITERS}${path.slice(1)}`;
  }

  #partSize(): number {
    return Math.max(MIN_PART_SIZE, this.#options.partSize ?? DEFAULT_PART_SIZE);
  }

  #sse(): { ServerSideEncryption?: 'AES256' | 'aws:kms'; SSEKMSKeyId?: string } {
    const { serverSideEncryption, kmsKeyId } = this.#options;
    return {
      ...(serverSideEncryption ? { ServerSideEncryption: serverSideEncryption } : {}),
      ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
    };
  }

  #copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Sends one command, mapping errors; logs requests the SDK had to retry. */
  async #send<Output extends { $metadata: { attempts?: number } }>(
    operation: string,
    path: string | undefined,
    command: SendableCommand<Output>,
    signal?: AbortSignal,
  ): Promise<Output> {
    try {
      const output = (await this.#client.send(
        command as unknown as Parameters<S3Client['send']>[0],
        signal ? { abortSignal: signal } : {},
      )) as Output;
      const attempts = output.$metadata.attempts ?? 1;
      if (attempts > 1)
        this.#logger?.warn('S3 request succeeded after retries', { operation, path, attempts });
      return output;
    } catch (error) {
      const mapped = mapS3Error(error, {
        driver: NAME,
        operation,
        bucket: this.bucket,
        ...(path !== undefined ? { path } : {}),
      });
      if (mapped instanceof StorageBackendError) {
        this.#logger?.error('S3 request failed', {
          operation,
          path,
          failure: mapped.failure,
          code: mapped.details.code,
          status: mapped.details.status,
        });
      }
      throw mapped;
    }
  }

  async #readState(path: string, stateKey: string) {
    let bytes: Uint8Array;
    try {
      const response = await this.#send(
        'GetObject',
        path,
        new GetObjectCommand({ Bucket: this.bucket, Key: stateKey }),
      );
      bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      if (error instanceof PathNotFoundError) return undefined;
      throw error;
    }
    try {
      return decodeWriterState(bytes);
    } catch (error) {
      this.#logger?.warn('discarding an unreadable writer state', { path, error: String(error) });
      return undefined;
    }
  }

  #writerOperations(path: string, key: string, stateKey: string): WriterOperations {
    const bucket = this.bucket;
    return {
      createUpload: async () => {
        const output = await this.#send(
          'CreateMultipartUpload',
          path,
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...this.#sse() }),
        );
        if (!output.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        this.#logger?.debug('multipart upload started', { path, uploadId: output.UploadId });
        return output.UploadId;
      },
      uploadPart: async (uploadId, partNumber, body) => {
        const output = await this.#send(
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
        await this.#send(
          'CompleteMultipartUpload',
          path,
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.n, ETag: part.etag })) },
          }),
        );
        this.#logger?.debug('multipart upload completed', { path, uploadId, parts: parts.length });
      },
      abortUpload: (uploadId) => this.#abort(path, key, uploadId),
      putObject: async (body) => {
        await this.#send(
          'PutObject',
          path,
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.length,
            ...this.#sse(),
          }),
        );
      },
      putState: async (bytes) => {
        await this.#send(
          'PutObject',
          path,
          new PutObjectCommand({
            Bucket: bucket,
            Key: stateKey,
            Body: bytes,
            ContentLength: bytes.length,
            ...this.#sse(),
          }),
        );
      },
      deleteState: async () => {
        await this.#send('DeleteObject', path, new DeleteObjectCommand({ Bucket: bucket, Key: stateKey }));
      },
    };
  }

  async #abort(path: string, key: string, uploadId: string): Promise<void> {
    try {
      await this.#send(
        'AbortMultipartUpload',
        path,
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      // Already completed or aborted (another node, or a crash after completing): nothing to free.
      if (!(error instanceof PathNotFoundError)) throw error;
    }
  }

  async #listPage(
    path: string,
    directoryKey: string,
    page: { startAfter?: string; token?: string; maxKeys: number },
  ): Promise<ListingPage> {
    const output = await this.#send(
      'ListObjectsV2',
      path,
      new ListObjectsV2Command({
        Bucket: this.bucket,
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

  async #hasAnythingUnder(path: string, prefix: string): Promise<boolean> {
    const output = await this.#send(
      'ListObjectsV2',
      path,
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1 }),
    );
    return (output.KeyCount ?? output.Contents?.length ?? 0) > 0;
  }

  /** `[]` for an existing directory, `PathNotFoundError` otherwise. */
  async #emptyPage(path: string, directoryKey: string): Promise<string[]> {
    if (!(await this.#hasAnythingUnder(path, directoryKey))) throw new PathNotFoundError(NAME, path);
    return [];
  }

  /** Deletes every object under `prefix`, 1,000 per request, reading one listing page at a time. */
  async #deleteUnder(path: string, prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const output = await this.#send(
        'ListObjectsV2',
        path,
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: 1000,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      const keys = (output.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length > 0) {
        const result = await this.#send(
          'DeleteObjects',
          path,
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        const failed = result.Errors?.[0];
        if (failed) {
          throw mapS3Error(
            { Code: failed.Code, message: failed.Message },
            { driver: NAME, operation: 'DeleteObjects', bucket: this.bucket, path },
          );
        }
      }
      token = output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (token);
  }

  /** Aborts multipart uploads of `key` and of keys under `key/` (writers never committed). */
  async #abortUploadsUnder(path: string, key: string): Promise<void> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const output = await this.#send(
        'ListMultipartUploads',
        path,
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: key,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of output.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        if (upload.Key !== key && !upload.Key.startsWith(`${key}/`)) continue;
        await this.#abort(path, upload.Key, upload.UploadId);
      }
      if (!output.IsTruncated) return;
      keyMarker = output.NextKeyMarker;
      uploadIdMarker = output.NextUploadIdMarker;
      if (!keyMarker) return;
    }
  }

  /** Server-side copy of an object above CopyObject's 5 GiB limit, part by part. */
  async #multipartCopy(
    sourcePath: string,
    source: string,
    destinationPath: string,
    destination: string,
    size: number,
  ): Promise<void> {
    const operations = this.#writerOperations(destinationPath, destination, this.#stateKey(destinationPath));
    const uploadId = await operations.createUpload();
    try {
      const parts: Array<{ n: number; etag: string; size: number }> = [];
      for (let offset = 0, n = 1; offset < size; offset += COPY_PART_SIZE, n += 1) {
        const end = Math.min(size, offset + COPY_PART_SIZE) - 1;
        const output = await this.#send(
          'UploadPartCopy',
          sourcePath,
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: destination,
            UploadId: uploadId,
            PartNumber: n,
            CopySource: this.#copySource(source),
            CopySourceRange: `bytes=${offset}-${end}`,
          }),
        );
        const etag = output.CopyPartResult?.ETag;
        if (!etag) throw new Error(`UploadPartCopy ${n} returned no ETag`);
        parts.push({ n, etag, size: end - offset + 1 });
      }
      await operations.completeUpload(uploadId, parts);
    } catch (error) {
      await operations.abortUpload(uploadId).catch(() => undefined);
      throw error;
    }
  }
}
