export { FillQueue, type FillQueueOptions } from './fill-queue.js';
export {
  LocalBlobCache,
  type LocalBlobCacheOptions,
  type LocalBlobCacheStats,
  LocalCacheError,
} from './local-blob-cache.js';
export { formatLocalCacheMetrics } from './local-cache-metrics.js';
export { NodeCachedContentStore } from './node-cached-content-store.js';
