import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createStorageDriver } from '../create-driver.js';
import { LazyS3Driver } from './lazy-s3-driver.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../../..');

describe('LazyS3Driver', () => {
  it('is what createStorageDriver returns for driver = "s3", without contacting anything', async () => {
    const driver = createStorageDriver({
      driver: 's3',
      bucket: 'glci-lazy',
      region: 'us-east-1',
      path_style: true,
      prefix: '',
      insecure: false,
      redirect: false,
    });
    expect(driver).toBeInstanceOf(LazyS3Driver);
    expect(driver.name).toBe('s3');
    // Redirects are off by default: answered without loading the SDK.
    expect(await driver.redirectUrl?.('/v1/x', { method: 'GET', expiresInSeconds: 60 })).toBeUndefined();
    await driver.close?.();
  });

  it('keeps the AWS SDK out of a process until the S3 driver is first used', async () => {
    // A fresh Node process: the SDK is CommonJS, so once loaded it shows in require.cache.
    const script = `
      import { createRequire } from 'node:module';
      const registry = await import('@glci/registry');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('@aws-sdk'));
      const before = loaded();
      const memory = registry.createStorageDriver({ driver: 'memory' });
      await memory.putContent('/x', new Uint8Array([1]));
      const afterMemory = loaded();
      const s3 = registry.createStorageDriver({ driver: 's3', bucket: 'glci-lazy', region: 'us-east-1', path_style: true, prefix: '', insecure: false, redirect: false });
      await s3.load();
      console.log(JSON.stringify({ before, afterMemory, afterS3: loaded() }));
      await s3.close();
    `;
    const { stdout } = await promisify(execFile)(
      path.join(repoRoot, 'node_modules/.bin/tsx'),
      ['--conditions=source', '--input-type=module', '-e', script],
      { cwd: path.join(repoRoot, 'packages/registry'), timeout: 60_000 },
    );
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      before: false,
      afterMemory: false,
      afterS3: true,
    });
  });
});
