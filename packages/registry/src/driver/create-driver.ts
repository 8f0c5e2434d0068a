import type { Logger, StorageConfig } from '@glci/config';
import { FsDriver } from './fs-driver.js';
import { MemoryDriver } from './memory-driver.js';
import { LazyS3Driver } from './s3/lazy-s3-driver.js';
import { s3OptionsFromConfig } from './s3/options.js';
import { type StorageDriver, UnsupportedMethodError } from './storage-driver.js';

export interface CreateStorageDriverOptions {
  /** Passed to drivers that stamp times (the in-memory one). */
  readonly clock?: () => Date;
  /** Passed to drivers that name temporary files. */
  readonly uuid?: () => string;
  /** Passed to drivers that log (S3: retries and failures). */
  readonly logger?: Logger;
}

/**
 * The driver a `registry.storage` config section names. `root` arrives already resolved by
 * @glci/config (`~/.glci` and relative paths expanded). A new backend adds one `case` here.
 */
export function createStorageDriver(
  config: StorageConfig,
  options: CreateStorageDriverOptions = {},
): StorageDriver {
  switch (config.driver) {
    case 'filesystem':
      return new FsDriver({ root: config.root, ...(options.uuid ? { uuid: options.uuid } : {}) });
    case 'memory':
      return new MemoryDriver(options.clock ? { clock: options.clock } : {});
    case 's3':
      // Loads the AWS SDK on first use only (s3/lazy-s3-driver.ts).
      return new LazyS3Driver(s3OptionsFromConfig(config, options.logger));
    default:
      // Drivers configured but not built into this version (the config schema may know more).
      throw new UnsupportedMethodError(String((config as { driver: unknown }).driver), 'createStorageDriver');
  }
}
