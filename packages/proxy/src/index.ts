export { type CachedEntry, type CachedTag, CacheIndex } from './cache-index.js';
export { proxyCacheOptions } from './cache-options.js';
export { type CacheRoot, type CacheRootsProvider, cacheRoots, savedCacheRoots } from './cache-roots.js';
export { type Clock, systemClock } from './clock.js';
export {
  createProxyNamespace,
  type ProxyNamespace,
  type ProxyNamespaceOptions,
  type ProxyRepository,
  type ProxyStats,
} from './create-proxy.js';
export {
  ProxyBlobUnknownError,
  ProxyManifestUnknownError,
  UpstreamNotConfiguredError,
} from './errors.js';
export { HttpUpstreamClient, type HttpUpstreamClientOptions } from './http-upstream-client.js';
export { Inflight } from './inflight.js';
export type { CacheOptions } from './proxy-context.js';
export { formatProxyMetrics } from './proxy-metrics.js';
export {
  CACHE_STATE_PATH,
  readSavedProxyStats,
  type SavedProxyStats,
  STATS_STATE_PATH,
} from './proxy-state.js';
export {
  createPushThrough,
  type PushThrough,
  type PushThroughConfig,
  type PushThroughOptions,
  type PushThroughWatcher,
  parsePushThroughConfig,
} from './push-through.js';
export { createPushThroughConfigHandler } from './push-through-endpoint.js';
export { parseChallenge, realmMayReceiveCredentials, TokenAuth } from './token-auth.js';
export {
  MANIFEST_MEDIA_TYPES,
  type UpstreamClient,
  UpstreamRequestError,
} from './upstream-client.js';
export {
  type ProxyUpstreamConfig,
  type Route,
  Upstream,
  UpstreamSet,
  type UpstreamStats,
} from './upstream-set.js';
