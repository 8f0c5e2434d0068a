import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePort, type ManagedProcess, run, spawnManaged, waitFor } from './processes.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** The S3 server the tests and the benchmark run: versitygw v1.8.0 over a POSIX directory (scripts/peers.sh). */
export const VERSITYGW_BINARY = path.join(repoRoot, '.peers/bin/versitygw');

export interface S3Options {
  /** Directory the POSIX backend keeps buckets in; a temporary one by default (removed on stop). */
  readonly dataDirectory?: string;
  readonly region?: string;
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 (made with `openssl`). */
  readonly tls?: boolean;
}

export interface RunningS3 extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, path-style addressing. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly dataDirectory: string;
  readonly process: ManagedProcess;
  /** Creates a bucket with a real `CreateBucket` request (a random name by default) and returns its name. */
  createBucket(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a complete S3-compatible server on a free loopback port: versitygw's POSIX gateway with a
 * random root key, each bucket a directory under `dataDirectory`. Throws (never skips) when the
 * binary is missing: in CI that is a broken install step (`bash scripts/peers.sh`).
 */
export async function startS3(options: S3Options = {}): Promise<RunningS3> {
  if (!existsSync(VERSITYGW_BINARY)) {
    throw new Error(`the S3 server is missing at ${VERSITYGW_BINARY}: run bash scripts/peers.sh`);
  }
  const port = await freePort();
  const work = mkdtempSync(path.join(os.tmpdir(), 'glci-s3-'));
  const dataDirectory = options.dataDirectory ?? path.join(work, 'data');
  mkdirSync(dataDirectory, { recursive: true });
  const region = options.region ?? 'us-east-1';
  const accessKeyId = `glci${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const tlsArgs: string[] = [];
  if (options.tls) {
    const cert = path.join(work, 'cert.pem');
    const key = path.join(work, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    tlsArgs.push('--cert', cert, '--key', key);
  }
  const child = spawnManaged(
    VERSITYGW_BINARY,
    ['--port', `127.0.0.1:${port}`, '--region', region, '--quiet', ...tlsArgs, 'posix', dataDirectory],
    // The root credentials go through the environment, not argv, so `ps` does not show them.
    { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
  );
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  try {
    await waitFor(`versitygw on ${endpoint}`, async () => {
      if (child.child.exitCode !== null) throw new Error(`versitygw exited: ${child.output()}`);
      // Any S3 answer (403 for an unsigned request) means the gateway is serving.
      return (await anyAnswer(`${endpoint}/`)) > 0;
    });
  } catch (error) {
    await child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  const credentials = { accessKeyId, secretAccessKey, region };
  const stop = async () => {
    await child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  };
  return {
    endpoint,
    host: `127.0.0.1:${port}`,
    port,
    region,
    accessKeyId,
    secretAccessKey,
    dataDirectory,
    process: child,
    async createBucket(name = `glci-${randomBytes(5).toString('hex')}`) {
      const response = await signedRequest(credentials, 'PUT', new URL(`${endpoint}/${name}`));
      if (response.status !== 200) {
        throw new Error(`CreateBucket ${name} answered ${response.status}: ${response.body}`);
      }
      return name;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * One AWS Signature V4 request with an empty body: enough for bucket administration in tests
 * without making the testkit depend on the AWS SDK.
 */
async function signedRequest(
  credentials: { accessKeyId: string; secretAccessKey: string; region: string },
  method: string,
  url: URL,
): Promise<{ status: number; body: string }> {
  const now = new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = createHash('sha256').update('').digest('hex');
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  };
  const signedHeaders = Object.keys(headers).sort().join(';');
  const canonicalRequest = [
    method,
    url.pathname,
    url.search.slice(1),
    ...Object.keys(headers)
      .sort()
      .map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${credentials.region}/s3/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [credentials.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return await loopbackRequest(url, method, {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  });
}

/** The status of any answer at `url` (HTTPS with the test server's self-signed certificate too). */
async function anyAnswer(url: string): Promise<number> {
  return (await loopbackRequest(new URL(url), 'GET', {})).status;
}

/** One request to the loopback test server; TLS is not verified (its certificate is self-signed). */
function loopbackRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { method, headers, rejectUnauthorized: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/**
 * The `storage:` section that points CNCF distribution 2.8.2's own S3 driver at `s3` (for
 * `startDistribution({ storageConfig, env: { AWS_CA_BUNDLE: undefined } })`).
 */
export function distributionS3StorageConfig(
  s3: Pick<RunningS3, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'>,
  bucket: string,
  rootDirectory = '/',
): string {
  return [
    'storage:',
    '  s3:',
    `    accesskey: ${s3.accessKeyId}`,
    `    secretkey: ${s3.secretAccessKey}`,
    `    region: ${s3.region}`,
    `    regionendpoint: ${s3.endpoint}`,
    `    bucket: ${bucket}`,
    '    secure: false',
    '    v4auth: true',
    `    rootdirectory: ${rootDirectory}`,
    '  delete:',
    '    enabled: true',
    '  redirect:',
    '    disable: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    '',
  ].join('\n');
}
