import type { Logger, StorageConfig } from '@glci/config';

/** Options of the S3 driver. Nothing here loads the AWS SDK; `S3Driver` does, lazily. */
export interface S3DriverOptions {
  readonly bucket: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** A custom endpoint (MinIO, Ceph RGW, versitygw); unset means AWS's endpoint for the region. */
  readonly endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  readonly forcePathStyle?: boolean;
  /** Key prefix inside the bucket (`a/b` → keys `a/b/<path>`), so that one bucket holds several registries. */
  readonly prefix?: string;
  /** Static credentials; unset means the AWS SDK's default chain (environment, shared files, roles). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  readonly serverSideEncryption?: 'AES256' | 'aws:kms';
  readonly kmsKeyId?: string;
  /** Skip TLS verification of an https:// endpoint. */
  readonly insecure?: boolean;
  /** `redirectUrl` answers presigned URLs (blob GETs redirect to the store); off by default. */
  readonly redirect?: boolean;
  /** Attempts per request, throttling (SlowDown/503) and 5xx included, with backoff (default 5). */
  readonly maxAttempts?: number;
  /** Multipart part size (default 8 MiB, at least 5 MiB). */
  readonly partSize?: number;
  /** Parts uploaded concurrently per writer (default 2). */
  readonly queueSize?: number;
  /** Concurrent connections to the store (default 64). */
  readonly maxSockets?: number;
  /** Milliseconds to wait for a connection (default 10 s). */
  readonly connectionTimeoutMs?: number;
  readonly logger?: Logger;
}

export type S3StorageConfig = Extract<StorageConfig, { driver: 's3' }>;

/** Maps the `[registry.storage]` section (`driver = "s3"`, `$VAR`s already expanded) to driver options. */
export function s3OptionsFromConfig(config: S3StorageConfig, logger?: Logger): S3DriverOptions {
  return {
    bucket: config.bucket,
    region: config.region,
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.path_style,
    prefix: config.prefix,
    ...(config.access_key_id !== undefined && config.secret_access_key !== undefined
      ? {
          credentials: {
            accessKeyId: config.access_key_id,
            secretAccessKey: config.secret_access_key,
            ...(config.session_token !== undefined ? { sessionToken: config.session_token } : {}),
          },
        }
      : {}),
    ...(config.sse !== undefined ? { serverSideEncryption: config.sse } : {}),
    ...(config.kms_key_id !== undefined ? { kmsKeyId: config.kms_key_id } : {}),
    insecure: config.insecure,
    redirect: config.redirect,
    ...(logger ? { logger } : {}),
  };
}

/** `a/b/` → `a/b/`, `/a/b` → `a/b/`, `` → ``: the key prefix every driver path is appended to. */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}
