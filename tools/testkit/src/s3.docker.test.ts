import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDistribution } from './distribution.js';
import { distributionS3StorageConfig, startS3 } from './s3.js';

// Proves the S3 server is complete enough for a real S3 client: CNCF distribution 2.8.2's own S3
// driver (aws-sdk-go, multipart uploads for blobs) pushes and pulls through it.
describe('the S3 test server', () => {
  it('creates buckets with a signed request and refuses unsigned ones', async () => {
    await using s3 = await startS3();
    const bucket = await s3.createBucket();
    expect(readdirSync(s3.dataDirectory)).toContain(bucket);
    const anonymous = await fetch(`${s3.endpoint}/${bucket}/anything`);
    expect(anonymous.status).toBe(403);
  });

  it("serves CNCF distribution's S3 driver: a chunked blob push and pull round-trip", async () => {
    await using s3 = await startS3();
    const bucket = await s3.createBucket();
    await using registry = await startDistribution({
      storageConfig: distributionS3StorageConfig(s3, bucket, '/distribution'),
      // distribution's driver refuses to start with the machine's AWS_CA_BUNDLE (ENVIRONMENT.md).
      env: { AWS_CA_BUNDLE: undefined },
    });
    // 12 MiB in three PATCH chunks of 4 MiB: more than distribution's 5 MiB part size, so its
    // driver goes through multipart uploads and resumes its writer between requests.
    const blob = randomBytes(12 * 1024 * 1024);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const start = await fetch(`${registry.url}/v2/smoke/s3/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    let location = new URL(start.headers.get('location')!, registry.url);
    const chunk = 4 * 1024 * 1024;
    for (let offset = 0; offset < blob.length; offset += chunk) {
      const patch = await fetch(location, {
        method: 'PATCH',
        body: blob.subarray(offset, offset + chunk),
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + chunk - 1}`,
        },
      });
      expect(patch.status, await patch.clone().text()).toBe(202);
      location = new URL(patch.headers.get('location')!, registry.url);
    }
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT' });
    expect(put.status, await put.clone().text()).toBe(201);

    const back = await fetch(`${registry.url}/v2/smoke/s3/blobs/${digest}`);
    expect(back.status).toBe(200);
    expect(
      createHash('sha256')
        .update(Buffer.from(await back.arrayBuffer()))
        .digest('hex'),
    ).toBe(digest.slice('sha256:'.length));
    // The bytes live in the bucket, under distribution's own layout.
    const stored = path.join(
      s3.dataDirectory,
      bucket,
      'distribution/docker/registry/v2/blobs/sha256',
      digest.slice(7, 9),
      digest.slice(7),
      'data',
    );
    expect(readdirSync(path.dirname(stored))).toContain('data');
  });
});
