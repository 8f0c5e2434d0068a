import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Logger } from '@glci/config';
import {
  abortUploadsUnder,
  deleteUnder,
  hasAnythingUnder,
  listPage,
  multipartUploadsUnder,
  objectsUnder,
} from './s3/bucket-listing.js';
import { mapS3Error } from './s3/errors.js';
import { LargeReadAgent } from './s3/large-read-agent.js';
import { listChildren } from './s3/list-children.js';
import { normalizePrefix, type S3DriverOptions } from './s3/options.js';
import { MIN_PART_SIZE, S3FileWriter } from './s3/s3-file-writer.js';
import { S3Requests } from './s3/s3-requests.js';
import { checkConditionalWrites, multipartCopy } from './s3/server-side.js';
import { abortUpload, type SseHeaders, writerOperations } from './s3/writer-operations.js';
import { decodeWriterState } from './s3/writer-state.js';
import {
  assertValidPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  PathExistsError,
  PathNotFoundError,
  type PendingWriter,
  type PutContentOptions,
  type StorageDriver,
} from './storage-driver.js';

export type { S3DriverOptions } from './s3/options.js';

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
  readonly #requests: S3Requests;

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
    this.#requests = new S3Requests(this.#client, this.bucket, NAME, this.#logger);
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
    await checkConditionalWrites(this.#client, this.bucket, this.#root, this.#logger);
  }

  async getContent(path: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const key = this.#key(path);
    const response = await this.#requests.send(
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

  async putContent(path: string, content: Uint8Array, options: PutContentOptions = {}): Promise<void> {
    const key = this.#key(path);
    if (options.exclusive) {
      // S3's conditional write: 412 when the key exists, 409 when another conditional write of the
      // same key is in progress. Exactly one of concurrent creators wins.
      try {
        await this.#client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: content,
            ContentLength: content.length,
            IfNoneMatch: '*',
            ...this.#sse(),
          }),
        );
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409) throw new PathExistsError(NAME, path);
        throw mapS3Error(error, { driver: NAME, operation: 'PutObject', bucket: this.bucket, path });
      }
      return;
    }
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
      if (pending.uploadId !== undefined) await abortUpload(this.#requests, path, key, pending.uploadId);
      await this.#requests.send(
        'DeleteObject',
        path,
        new DeleteObjectCommand({ Bucket: this.bucket, Key: stateKey }),
      );
    }
    return new S3FileWriter({
      driver: NAME,
      path,
      partSize: this.#partSize(),
      queueSize: this.#options.queueSize ?? 2,
      operations: writerOperations(this.#requests, { path, key, stateKey, sse: this.#sse() }),
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
    const listing = await this.#requests.send(
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
        page: (page) => listPage(this.#requests, path, directoryKey, page),
        hasDirectory: (name) => hasAnythingUnder(this.#requests, path, `${directoryKey}${name}/`),
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
    const head = await this.#requests.send(
      'HeadObject',
      sourcePath,
      new HeadObjectCommand({ Bucket: this.bucket, Key: source }),
    );
    const size = head.ContentLength ?? 0;
    if (size <= MAX_COPY_OBJECT_SIZE) {
      await this.#requests.send(
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
      await multipartCopy(this.#requests, {
        source: { path: sourcePath, key: source, copySource: this.#copySource(source) },
        destination: writerOperations(this.#requests, {
          path: destinationPath,
          key: destination,
          stateKey: this.#stateKey(destinationPath),
          sse: this.#sse(),
        }),
        destinationKey: destination,
        size,
        partSize: COPY_PART_SIZE,
      });
    }
    await this.#requests.send(
      'DeleteObject',
      sourcePath,
      new DeleteObjectCommand({ Bucket: this.bucket, Key: source }),
    );
  }

  async delete(path: string): Promise<void> {
    const key = this.#key(path);
    const stateKey = this.#stateKey(path);
    await Promise.all([
      this.#requests.send('DeleteObject', path, new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
      deleteUnder(this.#requests, path, `${key}/`),
      this.#requests.send(
        'DeleteObject',
        path,
        new DeleteObjectCommand({ Bucket: this.bucket, Key: stateKey }),
      ),
      deleteUnder(this.#requests, path, `${stateKey}/`),
      abortUploadsUnder(this.#requests, path, key),
    ]);
  }

  /** Closed, uncommitted writers at or below `path`: their state objects under `~writers/`. */
  async pendingWriters(path: string): Promise<PendingWriter[]> {
    const stateKey = this.#stateKey(path);
    this.#key(path); // validates the path
    const found: PendingWriter[] = [];
    const writersRoot = `${this.#root}${WRITERS}`;
    for (const prefix of [stateKey, `${stateKey}/`]) {
      for await (const object of objectsUnder(this.#requests, path, prefix, prefix === stateKey)) {
        found.push({ path: `/${object.key.slice(writersRoot.length)}`, modifiedAt: object.modifiedAt });
      }
    }
    return found;
  }

  /**
   * Aborts multipart uploads started before `olderThan` that no writer state refers to: what a
   * `putContent` of large content (lib-storage) left when its process died. Writers' uploads are
   * never touched here; they go with their writer (`delete`, `cancel`).
   */
  async reclaimTemporaryFiles(olderThan: Date): Promise<number> {
    let reclaimed = 0;
    for await (const upload of multipartUploadsUnder(this.#requests, undefined, this.#root)) {
      if (!upload.Initiated || upload.Initiated >= olderThan) continue;
      const path = `/${upload.Key.slice(this.#root.length)}`;
      if (path.includes('~')) continue;
      const state = await this.#readState(path, this.#stateKey(path)).catch(() => undefined);
      if (state?.uploadId === upload.UploadId) continue;
      await abortUpload(this.#requests, path, upload.Key, upload.UploadId);
      reclaimed += 1;
    }
    return reclaimed;
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

  #sse(): SseHeaders {
    const { serverSideEncryption, kmsKeyId } = this.#options;
    return {
      ...(serverSideEncryption ? { ServerSideEncryption: serverSideEncryption } : {}),
      ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
    };
  }

  #copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async #readState(path: string, stateKey: string) {
    let bytes: Uint8Array;
    try {
      const response = await this.#requests.send(
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

  /** `[]` for an existing directory, `PathNotFoundError` otherwise. */
  async #emptyPage(path: string, directoryKey: string): Promise<string[]> {
    if (!(await hasAnythingUnder(this.#requests, path, directoryKey)))
      throw new PathNotFoundError(NAME, path);
    return [];
  }
}
