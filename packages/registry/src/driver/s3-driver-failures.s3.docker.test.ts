import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { freePort, type RunningS3, startS3 } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import winston from 'winston';
import { StorageBackendError } from './s3/errors.js';
import type { S3DriverOptions } from './s3/options.js';
import { startFaultProxy } from './s3/test-support/fault-proxy.js';
import { S3Driver } from './s3-driver.js';
import { PathNotFoundError } from './storage-driver.js';

// Every S3 failure the driver maps, against the real S3 server; throttling and 5xx are injected by
// a loopback proxy in front of it (a real server cannot be made to fail on cue).
let s3: RunningS3;
let bucket: string;
beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.createBucket();
});
afterAll(async () => {
  await s3?.stop();
});

const MiB = 1024 * 1024;

function driver(overrides: Partial<S3DriverOptions> = {}): S3Driver {
  return new S3Driver({
    bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    prefix: `failures-${randomBytes(4).toString('hex')}`,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    partSize: 5 * MiB,
    maxAttempts: 3,
    ...overrides,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<StorageBackendError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(StorageBackendError);
  return error as StorageBackendError;
}

/** A winston transport keeping every entry, to assert what the driver logged. */
function capture(): { entries: Array<Record<string, unknown>>; transport: winston.transport } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _encoding, done) {
      entries.push(info);
      done();
    },
  });
  return { entries, transport: new winston.transports.Stream({ stream }) };
}

describe('S3Driver failures', () => {
  it('names a missing bucket', async () => {
    const missing = driver({ bucket: 'glci-no-such-bucket' });
    const error = await failureOf(missing.putContent('/x', new Uint8Array([1])));
    expect(error.failure).toBe('bucket');
    expect(error.message).toContain('glci-no-such-bucket');
    expect((await failureOf(missing.verify())).failure).toBe('bucket');
    expect((await failureOf(missing.getContent('/x'))).failure).toBe('bucket');
    await missing.close();
  });

  it('names refused credentials without printing the secret', async () => {
    const secret = `wrong-${randomBytes(8).toString('hex')}`;
    const refused = driver({ credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: secret } });
    const error = await failureOf(refused.putContent('/x', new Uint8Array([1])));
    expect(error.failure).toBe('access-denied');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain(secret);
    expect((await failureOf(refused.verify())).failure).toBe('access-denied');
    await refused.close();
  });

  it('names an unreachable endpoint after retrying', async () => {
    const closed = driver({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 2 });
    const error = await failureOf(closed.stat('/x'));
    expect(error.failure).toBe('unreachable');
    expect(error.retryable).toBe(true);
    expect(error.details.code).toBe('ECONNREFUSED');
    await closed.close();
  });

  it('talks to an https endpoint with a self-signed certificate only when insecure', async () => {
    await using tls = await startS3({ tls: true });
    const tlsBucket = await tls.createBucket();
    const options = {
      bucket: tlsBucket,
      endpoint: tls.endpoint,
      credentials: { accessKeyId: tls.accessKeyId, secretAccessKey: tls.secretAccessKey },
    };
    expect(tls.endpoint.startsWith('https://')).toBe(true);
    const trusting = driver({ ...options, insecure: true });
    await trusting.putContent('/over-tls', new Uint8Array([4, 2]));
    expect([...(await trusting.getContent('/over-tls'))]).toEqual([4, 2]);
    const verifying = driver({ ...options, insecure: false, maxAttempts: 1 });
    const error = await failureOf(verifying.getContent('/over-tls'));
    expect(error.failure).toBe('tls');
    expect(error.retryable).toBe(false);
    await trusting.close();
    await verifying.close();
  });

  it('names missing credentials when the default chain finds none', async () => {
    const saved = { ...process.env };
    const home = mkdtempSync(path.join(os.tmpdir(), 'glci-no-aws-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('AWS_') && name !== 'AWS_CA_BUNDLE') delete process.env[name];
    }
    Object.assign(process.env, {
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
      // Never ask an instance metadata service: only loopback is a valid target here.
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      const anonymous = driver({ credentials: undefined });
      const error = await failureOf(anonymous.getContent('/x'));
      expect(error.failure).toBe('credentials');
      expect(error.message).toContain('no S3 credentials');
      await anonymous.close();
    } finally {
      process.env = saved;
    }
  });

  it('retries throttled requests with backoff and succeeds', async () => {
    await using proxy = await startFaultProxy(s3.endpoint);
    const logs = capture();
    const logger = winston.createLogger({ level: 'debug', transports: [logs.transport] });
    const throttled = driver({ endpoint: proxy.endpoint, logger, maxAttempts: 4 });
    let slowDowns = 0;
    proxy.rule = (request) =>
      request.operation === 'UploadPart' && slowDowns++ < 2 ? { status: 503, code: 'SlowDown' } : undefined;
    const content = randomBytes(11 * MiB);
    const writer = await throttled.writer('/blob');
    await writer.write(content);
    await writer.commit();
    expect(sha256(await throttled.getContent('/blob'))).toBe(sha256(content));
    const parts = proxy.requests.filter((request) => request.operation === 'UploadPart');
    expect(parts.length).toBe(3 + 2); // 5 + 5 + 1 MiB, two of them answered SlowDown once
    expect(logs.entries.some((entry) => entry.message === 'S3 request succeeded after retries')).toBe(true);
    await throttled.close();
  });

  it('gives up on persistent throttling with a retryable error', async () => {
    await using proxy = await startFaultProxy(s3.endpoint);
    const throttled = driver({ endpoint: proxy.endpoint, maxAttempts: 2 });
    proxy.rule = (request) =>
      request.operation === 'PutObject' ? { status: 503, code: 'SlowDown' } : undefined;
    const error = await failureOf(throttled.putContent('/x', new Uint8Array([1])));
    expect(error.failure).toBe('throttled');
    expect(error.retryable).toBe(true);
    expect(proxy.requests.filter((request) => request.operation === 'PutObject')).toHaveLength(2);
    await throttled.close();
  });

  it('fails a writer cleanly on a 5xx mid-multipart, publishes nothing, and resumes from the last close', async () => {
    await using proxy = await startFaultProxy(s3.endpoint);
    const prefix = `resume-${randomBytes(4).toString('hex')}`;
    const flaky = driver({ endpoint: proxy.endpoint, maxAttempts: 2, prefix });
    const first = randomBytes(7 * MiB);
    const second = randomBytes(12 * MiB);
    const writer = await flaky.writer('/upload');
    await writer.write(first);
    await writer.close();
    proxy.rule = (request) =>
      request.operation === 'UploadPart' ? { status: 500, code: 'InternalError' } : undefined;
    const resumed = await flaky.writer('/upload', { append: true });
    const error = await failureOf(
      (async () => {
        await resumed.write(second);
        await resumed.commit();
      })(),
    );
    expect(error.failure).toBe('server');
    expect(error.details.operation).toBe('UploadPart');
    await expect(flaky.stat('/upload')).rejects.toBeInstanceOf(PathNotFoundError);
    // The store comes back: another driver instance (another node) resumes at the last close.
    proxy.rule = undefined;
    const other = driver({ prefix });
    const again = await other.writer('/upload', { append: true });
    expect(again.size).toBe(first.length);
    await again.write(second);
    await again.commit();
    expect(sha256(await flaky.getContent('/upload'))).toBe(sha256(Buffer.concat([first, second])));
    await flaky.close();
    await other.close();
  });

  it('sends the server-side encryption options on every write', async () => {
    await using proxy = await startFaultProxy(s3.endpoint);
    const encrypted = driver({
      endpoint: proxy.endpoint,
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'glci-key-1',
    });
    await encrypted.putContent('/small', new Uint8Array([1, 2, 3]));
    const writer = await encrypted.writer('/large');
    await writer.write(randomBytes(6 * MiB));
    await writer.commit();
    await encrypted.move('/small', '/moved');
    const writes = proxy.requests.filter((request) =>
      ['PutObject', 'CreateMultipartUpload', 'CopyObject'].includes(request.operation),
    );
    expect(new Set(writes.map((request) => request.operation))).toEqual(
      new Set(['PutObject', 'CreateMultipartUpload', 'CopyObject']),
    );
    for (const request of writes) {
      expect(request.headers['x-amz-server-side-encryption'], request.operation).toBe('aws:kms');
      expect(request.headers['x-amz-server-side-encryption-aws-kms-key-id'], request.operation).toBe(
        'glci-key-1',
      );
    }
    await encrypted.close();
  });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
