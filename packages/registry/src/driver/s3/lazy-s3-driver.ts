import type { Readable } from 'node:stream';
import type { S3Driver } from '../s3-driver.js';
import type {
  FileInfo,
  FileWriter,
  PendingWriter,
  PutContentOptions,
  StorageDriver,
} from '../storage-driver.js';
import type { S3DriverOptions } from './options.js';

/**
 * The S3 driver behind a dynamic `import()`: the AWS SDK (several MB of modules) is loaded on the
 * first call, so embedders on the memory or filesystem driver never pay for it, and
 * `createStorageDriver` stays synchronous.
 */
export class LazyS3Driver implements StorageDriver {
  readonly name = 's3';
  readonly bucket: string;
  readonly #options: S3DriverOptions;
  #driver: Promise<S3Driver> | undefined;

  constructor(options: S3DriverOptions) {
    this.#options = options;
    this.bucket = options.bucket;
  }

  /** The loaded driver (loads the AWS SDK on first use). */
  load(): Promise<S3Driver> {
    this.#driver ??= import('../s3-driver.js').then(({ S3Driver }) => new S3Driver(this.#options));
    return this.#driver;
  }

  /** Checks that the bucket exists and the credentials may use it (see `S3Driver.verify`). */
  async verify(): Promise<void> {
    await (await this.load()).verify();
  }

  async getContent(path: string, options?: { signal?: AbortSignal }): Promise<Uint8Array> {
    return await (await this.load()).getContent(path, options);
  }

  async putContent(path: string, content: Uint8Array, options?: PutContentOptions): Promise<void> {
    await (await this.load()).putContent(path, content, options);
  }

  async reader(
    path: string,
    options?: { offset?: number; length?: number; signal?: AbortSignal },
  ): Promise<Readable> {
    return await (await this.load()).reader(path, options);
  }

  async writer(path: string, options?: { append?: boolean }): Promise<FileWriter> {
    return await (await this.load()).writer(path, options);
  }

  async stat(path: string): Promise<FileInfo> {
    return await (await this.load()).stat(path);
  }

  async list(path: string, options?: { startAfter?: string; limit?: number }): Promise<string[]> {
    return await (await this.load()).list(path, options);
  }

  async move(sourcePath: string, destinationPath: string): Promise<void> {
    await (await this.load()).move(sourcePath, destinationPath);
  }

  async delete(path: string): Promise<void> {
    await (await this.load()).delete(path);
  }

  async redirectUrl(
    path: string,
    options: { method: 'GET' | 'HEAD'; expiresInSeconds: number },
  ): Promise<string | undefined> {
    if (!this.#options.redirect) return undefined;
    return await (await this.load()).redirectUrl(path, options);
  }

  async pendingWriters(path: string): Promise<PendingWriter[]> {
    return await (await this.load()).pendingWriters(path);
  }

  async reclaimTemporaryFiles(olderThan: Date): Promise<number> {
    return await (await this.load()).reclaimTemporaryFiles(olderThan);
  }

  async close(): Promise<void> {
    if (this.#driver) await (await this.#driver).close();
  }
}
