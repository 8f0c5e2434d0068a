import type { GlciConfig } from '@glci/config';
import type { StorageDriver } from '@glci/registry';
import type { CacheOptions } from './proxy-context.js';

/**
 * The pull-through cache's options from `[registry.proxy_cache]` ("0" means no bound), its index
 * saved in `stateDriver` (the registry's own storage) so a restarted node still knows its cache.
 */
export function proxyCacheOptions(
  bounds: GlciConfig['registry']['proxy_cache'] | undefined,
  stateDriver: StorageDriver,
): CacheOptions {
  return {
    stateDriver,
    ...(bounds && bounds.max_size > 0 ? { maxBytes: bounds.max_size } : {}),
    ...(bounds && bounds.unused_ttl > 0 ? { unusedExpiryMs: bounds.unused_ttl } : {}),
  };
}
