import { describe, expect, it } from 'vitest';
import { parseStorageUrl, StorageUrlError } from './storage-url.js';

describe('parseStorageUrl', () => {
  it('reads an s3:// URL with every option, applying the schema defaults', () => {
    expect(
      parseStorageUrl(
        's3://my-bucket/registry/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1&path_style=true&insecure=1&redirect=true&sse=aws:kms&kms_key_id=key-1',
      ),
    ).toEqual({
      driver: 's3',
      bucket: 'my-bucket',
      prefix: 'registry/prod',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      path_style: true,
      insecure: true,
      redirect: true,
      sse: 'aws:kms',
      kms_key_id: 'key-1',
    });
  });

  it('defaults region, prefix and the switches', () => {
    expect(parseStorageUrl('s3://bucket')).toEqual({
      driver: 's3',
      bucket: 'bucket',
      prefix: '',
      region: 'us-east-1',
      path_style: false,
      insecure: false,
      redirect: false,
    });
  });

  it('takes credentials from the user-info part, decoded', () => {
    const config = parseStorageUrl('s3://AKIA%2B1:s%2Fecret@bucket/p');
    expect(config).toMatchObject({ access_key_id: 'AKIA+1', secret_access_key: 's/ecret', prefix: 'p' });
  });

  it('reads the node-local blob cache from local_cache_dir and local_cache_max_size', () => {
    expect(
      parseStorageUrl('s3://bucket?local_cache_dir=cache&local_cache_max_size=2GB', { cwd: '/srv' }),
    ).toMatchObject({ local_cache: { dir: '/srv/cache', max_size: 2 * 1024 ** 3 } });
    expect(parseStorageUrl('s3://bucket?local_cache_dir=~/blobs', { home: '/home/ci' })).toMatchObject({
      local_cache: { dir: '/home/ci/blobs', max_size: 10 * 1024 ** 3 },
    });
  });

  it('names memory and filesystem locations', () => {
    expect(parseStorageUrl('memory:')).toEqual({ driver: 'memory' });
    expect(parseStorageUrl('memory://')).toEqual({ driver: 'memory' });
    expect(parseStorageUrl('file:///var/lib/glci%20registry')).toEqual({
      driver: 'filesystem',
      root: '/var/lib/glci registry',
    });
    expect(parseStorageUrl('data/registry', { cwd: '/srv' })).toEqual({
      driver: 'filesystem',
      root: '/srv/data/registry',
    });
    expect(parseStorageUrl('~/registry', { home: '/home/ci' })).toEqual({
      driver: 'filesystem',
      root: '/home/ci/registry',
    });
  });

  it.each([
    ['', 'empty'],
    ['gs://bucket/x', 'expected s3://bucket/prefix'],
    ['s3://bucket?colour=blue', 'unknown option "colour"'],
    ['s3://bucket?path_style=yes', 'path_style must be true or false'],
    ['s3://Bad_Bucket', 'bucket'],
    ['s3://bucket?endpoint=ftp://x', 'endpoint'],
    ['s3://bucket?sse=rot13', 'sse'],
    ['s3://bucket?kms_key_id=k', 'kms_key_id needs sse = "aws:kms"'],
    ['s3://key@bucket', 'access_key_id and secret_access_key go together'],
    ['s3://bucket?local_cache_max_size=1GB', 'local_cache_max_size needs local_cache_dir'],
    [
      's3://bucket?local_cache_dir=/c&local_cache_max_size=0',
      'local_cache.max_size: expected a size above 0',
    ],
  ])('refuses %j', (value, reason) => {
    expect(() => parseStorageUrl(value)).toThrow(StorageUrlError);
    expect(() => parseStorageUrl(value)).toThrow(reason);
  });

  it('never repeats a secret in its error message', () => {
    let message = '';
    try {
      parseStorageUrl('s3://AKIA:topsecret@bucket?session_token=tok3n&colour=1');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('unknown option "colour"');
    expect(message).not.toContain('topsecret');
    expect(message).not.toContain('tok3n');
  });
});
