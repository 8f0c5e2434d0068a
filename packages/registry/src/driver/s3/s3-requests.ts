import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@glci/config';
import { mapS3Error, StorageBackendError } from './errors.js';

/** Any S3 command, carrying its output type for `send`. */
export type SendableCommand<Output> = { readonly input: object } & {
  resolveMiddleware(...args: never[]): (...args: never[]) => Promise<{ output: Output }>;
};

/**
 * The S3 driver's one way of sending a request: the client and bucket, errors mapped to the
 * driver's typed errors (`mapS3Error`), and a log line for requests the SDK had to retry or that
 * failed for good. Shared by the driver and its helpers (writers, listings, copies).
 */
export class S3Requests {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly driver: string,
    readonly logger: Logger | undefined,
  ) {}

  async send<Output extends { $metadata: { attempts?: number } }>(
    operation: string,
    path: string | undefined,
    command: SendableCommand<Output>,
    signal?: AbortSignal,
  ): Promise<Output> {
    try {
      const output = (await this.client.send(
        command as unknown as Parameters<S3Client['send']>[0],
        signal ? { abortSignal: signal } : {},
      )) as Output;
      const attempts = output.$metadata.attempts ?? 1;
      if (attempts > 1)
        this.logger?.warn('S3 request succeeded after retries', { operation, path, attempts });
      return output;
    } catch (error) {
      const mapped = mapS3Error(error, {
        driver: this.driver,
        operation,
        bucket: this.bucket,
        ...(path !== undefined ? { path } : {}),
      });
      if (mapped instanceof StorageBackendError) {
        this.logger?.error('S3 request failed', {
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
}
