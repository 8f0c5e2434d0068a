import { configSchema, parseConfig } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { mockConfigToml } from './mock-config.js';

describe('mockConfigToml', () => {
  it('hands the mock the upstreams with their credentials and the cache bounds, nothing else', () => {
    const config = configSchema.parse({
      registry: {
        upstreams: [
          { url: 'https://registry-1.docker.io', username: 'hub-user', password: 'hub-token' },
          { url: 'https://self-signed.example', insecure: true, cache_validity_hours: 2 },
        ],
        proxy_cache: { max_size: '20GB', unused_ttl: '30d' },
        storage: { root: '/srv/registry' },
        push_through: true,
      },
      cache: { max_size: '2GB', ttl: '12h' },
    });
    const handed = parseConfig(mockConfigToml(config), { env: {} });
    expect(handed.registry.upstreams).toEqual(config.registry.upstreams);
    expect(handed.registry.proxy_cache).toEqual(config.registry.proxy_cache);
    expect(handed.cache.max_size).toBe(config.cache.max_size);
    expect(handed.cache.ttl).toBe(config.cache.ttl);
    // The container keeps its own storage and learns push-through from the internal API.
    expect(handed.registry.storage).toEqual(configSchema.parse({}).registry.storage);
    expect(handed.registry.push_through).toBe(false);
  });

  it('keeps an empty upstream list empty (the proxy off), not the defaults', () => {
    const config = configSchema.parse({ registry: { upstreams: [] } });
    expect(parseConfig(mockConfigToml(config), { env: {} }).registry.upstreams).toEqual([]);
  });
});
