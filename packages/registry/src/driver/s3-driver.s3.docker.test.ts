import { type RunningS3, startS3 } from '@glci/testkit';
import { afterAll, beforeAll } from 'vitest';
import { describeStorageDriver } from './conformance.js';
import { S3Driver } from './s3-driver.js';

// The unchanged driver conformance suite against a real S3 server (versitygw on loopback), with a
// small part size so the large-file case goes through many multipart parts and a resumed upload.
let s3: RunningS3;
let bucket: string;
beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.createBucket();
});
afterAll(async () => {
  await s3?.stop();
});

describeStorageDriver(
  'S3Driver',
  () =>
    new S3Driver({
      bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      prefix: 'conformance/registry',
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      partSize: 5 * 1024 * 1024,
    }),
  { largeFileBytes: 48 * 1024 * 1024 },
);
