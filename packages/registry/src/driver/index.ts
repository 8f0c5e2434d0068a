export type { StorageDriverSuiteOptions } from './conformance.js';
export { type CreateStorageDriverOptions, createStorageDriver } from './create-driver.js';
export { FileRangeStream, type PositionalRange } from './file-range-stream.js';
export { FsDriver, type FsDriverOptions } from './fs-driver.js';
export { MemoryDriver, type MemoryDriverOptions } from './memory-driver.js';
// S3: the lazy driver and its types only; the AWS SDK loads on first use (s3/lazy-s3-driver.ts).
export { StorageBackendError, type StorageBackendFailure } from './s3/errors.js';
export { LazyS3Driver as S3StorageDriver } from './s3/lazy-s3-driver.js';
export type { S3DriverOptions } from './s3/options.js';
export * from './storage-driver.js';
export { createStorageDriverFromUrl, parseStorageUrl, StorageUrlError } from './storage-url.js';
