import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { configSchema, DEFAULT_UPSTREAMS } from './schema.js';

const MB = 1024 ** 2;
const defaults = configSchema.parse({});

describe('configSchema defaults', () => {
  it('leaves docker.host unset, so DOCKER_HOST, the Docker context or the default socket apply', () => {
    expect(defaults.docker).toEqual({
      container_socket: 'auto',
      privileged: true,
      reconnect_timeout: 300_000,
    });
    expect('host' in defaults.docker).toBe(false);
  });

  it.each([
    ['mock_server_bind', '0.0.0.0:0'],
    ['mock_server_port', 39741],
    ['container_host', 'host.docker.internal'],
    ['host_gateway', 'auto'],
    ['registry_bind', '127.0.0.1:0'],
    ['registry_http_bind', '0.0.0.0:0'],
    ['daemon_socket', '~/.glci/daemon.sock'],
  ] as const)('network.%s is %j', (key, value) => {
    expect(defaults.network[key]).toBe(value);
  });

  it('has no extra hosts', () => {
    expect(defaults.network.extra_hosts).toEqual({ entries: [] });
  });

  it('keeps a persistent 500MB cache for 24h', () => {
    expect(defaults.cache).toEqual({ persistent: true, max_size: 500 * MB, ttl: 24 * 3_600_000 });
  });

  it('stops the daemon after 30m idle and rotates its 50MB log over 3 files', () => {
    expect(defaults.daemon).toEqual({
      idle_timeout: 30 * 60_000,
      socket: '~/.glci/daemon.sock',
      log_file: '~/.glci/daemon.log',
      max_log_size: 50 * MB,
      max_log_files: 3,
    });
  });

  it("keeps each project's newest 50 finished pipelines, whatever their age", () => {
    expect(defaults.history).toEqual({ keep_last: 50, max_age: 0 });
  });

  it('uses the embedded registry, without push-through, pulling through GitLab then Docker Hub', () => {
    expect(defaults.registry).toEqual({
      push_through: false,
      allow_sparse_index: false,
      upstreams: [
        { url: 'https://registry.gitlab.com', insecure: false, cache_validity_hours: 24 },
        { url: 'https://registry-1.docker.io', insecure: false, cache_validity_hours: 24 },
      ],
      upstream: { url: 'https://registry.gitlab.com', insecure: false },
      storage: { driver: 'filesystem', root: '~/.glci/registry' },
      proxy_cache: { max_size: 0, unused_ttl: 0 },
    });
    expect(defaults.registry.upstreams.map((upstream) => upstream.url)).toEqual([...DEFAULT_UPSTREAMS]);
  });

  it('takes [registry] allow_sparse_index as a boolean and names the key when it is not one', () => {
    expect(parseConfig('[registry]\nallow_sparse_index = true\n').registry.allow_sparse_index).toBe(true);
    expect(() =>
      parseConfig('[registry]\nallow_sparse_index = "yes"\n', { file: '/home/ada/.glci/config.toml' }),
    ).toThrow(/config\.toml: registry\.allow_sparse_index: expected true or false/);
  });

  it('applies a table default for keys the table leaves out', () => {
    const config = configSchema.parse({
      registry: { upstreams: [{ url: 'https://mirror.corp' }], storage: { driver: 'filesystem' } },
      cache: { ttl: '1h' },
    });
    expect(config.registry.upstreams).toEqual([
      { url: 'https://mirror.corp', insecure: false, cache_validity_hours: 24 },
    ]);
    expect(config.registry.storage).toEqual({ driver: 'filesystem', root: '~/.glci/registry' });
    expect(config.cache).toEqual({ persistent: true, max_size: 500 * MB, ttl: 3_600_000 });
  });

  it('takes the filesystem driver when a storage table names only its root', () => {
    expect(configSchema.parse({ registry: { storage: { root: '/data' } } }).registry.storage).toEqual({
      driver: 'filesystem',
      root: '/data',
    });
  });

  it('fills in the S3 storage defaults around a bucket', () => {
    expect(
      configSchema.parse({ registry: { storage: { driver: 's3', bucket: 'team-images' } } }).registry.storage,
    ).toEqual({
      driver: 's3',
      bucket: 'team-images',
      region: 'us-east-1',
      path_style: false,
      prefix: '',
      insecure: false,
      redirect: false,
    });
  });

  it('takes an S3 node cache with a directory, 10GB unless max_size says otherwise', () => {
    const storage = (localCache: Record<string, unknown>) =>
      configSchema.parse({
        registry: { storage: { driver: 's3', bucket: 'team-images', local_cache: localCache } },
      }).registry.storage;
    expect(storage({ dir: '/var/cache/glci' })).toMatchObject({
      local_cache: { dir: '/var/cache/glci', max_size: 10 * 1024 * MB },
    });
    expect(storage({ dir: '/c', max_size: '40GB' })).toMatchObject({
      local_cache: { dir: '/c', max_size: 40 * 1024 * MB },
    });
  });

  it('accepts the memory storage driver, which has no root', () => {
    expect(configSchema.parse({ registry: { storage: { driver: 'memory' } } }).registry.storage).toEqual({
      driver: 'memory',
    });
  });

  it('accepts "0" to turn log rotation off and an IPv6 bind address', () => {
    const config = configSchema.parse({
      daemon: { max_log_size: '0' },
      network: { registry_bind: '[::1]:5000' },
    });
    expect(config.daemon.max_log_size).toBe(0);
    expect(config.network.registry_bind).toBe('[::1]:5000');
  });
});
