import { type GlciConfig, toConfigToml } from '@glci/config';

/**
 * The part of the user's configuration the mock container acts on, as TOML for its
 * `GLCI_MOCK_CONFIG_TOML`: the pull-through upstreams with their credentials and TLS settings,
 * the pull-through cache's bounds, and the runner cache's size and age limits. The container
 * cannot read `~/.glci/config.toml`; without this, a Docker Hub login or a private upstream's
 * password would be silently ignored by `glci run`.
 *
 * Storage is not handed over (the container's registry lives on its own volume), nor push-through
 * (switched live through the mock's internal API, see PushThroughControl).
 */
export function mockConfigToml(config: GlciConfig): string {
  return toConfigToml({
    registry: { upstreams: config.registry.upstreams, proxy_cache: config.registry.proxy_cache },
    cache: { max_size: config.cache.max_size, ttl: config.cache.ttl },
  });
}
