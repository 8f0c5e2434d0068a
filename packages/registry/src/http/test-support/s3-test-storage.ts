import { randomBytes } from 'node:crypto';
import { type RunningS3, startS3 } from '@glci/testkit';
import { afterAll, beforeAll } from 'vitest';
import { S3Driver } from '../../driver/s3-driver.js';
import type { StorageDriver } from '../../driver/storage-driver.js';
import { wasmHashing } from '../../store/hasher.js';
import type { TestStorage } from './test-storage.js';

/**
 * S3Driver instances on a real S3 server (versitygw on loopback, started by the testkit), each
 * under its own random prefix of one bucket. Registers the `beforeAll` / `afterAll` hooks that
 * start and stop the server, so call it at the top level of a `*.s3.docker.test.ts` file; it fails,
 * never skips, when the server binary is missing. Uploads hash with `wasmHashing`, as
 * `glci registry serve` does on S3.
 */
export function useS3Storage(): TestStorage {
  let s3: RunningS3 | undefined;
  let bucket = '';
  const prefixes = new Map<StorageDriver, string>();
  beforeAll(async () => {
    s3 = await startS3();
    bucket = await s3.createBucket();
  });
  afterAll(async () => {
    for (const driver of prefixes.keys()) await driver.close?.();
    await s3?.stop();
  });
  const driverAt = (prefix: string): StorageDriver => {
    if (!s3) throw new Error('useS3Storage(): a driver was asked for outside a hook or test');
    const driver = new S3Driver({
      bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      prefix,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      // The smallest part S3 allows, so that the suites' larger blobs span several parts.
      partSize: 5 * 1024 * 1024,
    });
    prefixes.set(driver, prefix);
    return driver;
  };
  return {
    kind: 's3',
    hashing: wasmHashing,
    create: async () => driverAt(`http-${randomBytes(4).toString('hex')}`),
    sibling(driver) {
      const prefix = prefixes.get(driver);
      if (prefix === undefined) throw new Error('useS3Storage(): sibling() of a driver it did not create');
      return driverAt(prefix);
    },
  };
}
