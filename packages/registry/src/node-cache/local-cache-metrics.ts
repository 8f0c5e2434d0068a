import type { LocalBlobCacheStats } from './local-blob-cache.js';

/**
 * The node-local blob cache's counters in the Prometheus text format, for
 * `RegistryMetrics.addTextSource(() => formatLocalCacheMetrics(cache.stats()))`:
 *
 * - `glci_registry_local_cache_reads_total{result="hit"|"miss"}`
 * - `glci_registry_local_cache_read_bytes_total{source="cache"|"store"}`: bytes those reads asked for
 * - `glci_registry_local_cache_fills_total{outcome="stored"|"failed"|"skipped"}`, `..._filled_bytes_total`
 * - `glci_registry_local_cache_fills_pending`: fills queued or running
 * - `glci_registry_local_cache_verify_failures_total`: copies that no longer matched their digest
 * - `glci_registry_local_cache_evictions_total`, `..._evicted_bytes_total`
 * - `glci_registry_local_cache_bytes`, `..._entries`, `..._max_bytes`
 */
export function formatLocalCacheMetrics(stats: LocalBlobCacheStats): string {
  const prefix = 'glci_registry_local_cache';
  const lines: string[] = [];
  const metric = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: readonly [labels: string, value: number][],
  ) => {
    lines.push(`# HELP ${prefix}_${name} ${help}`, `# TYPE ${prefix}_${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${prefix}_${name}${labels} ${value}`);
  };
  metric('reads_total', 'counter', 'Blob reads through the node-local cache, by result', [
    ['{result="hit"}', stats.hits],
    ['{result="miss"}', stats.misses],
  ]);
  metric('read_bytes_total', 'counter', 'Bytes of blob reads, by where they came from', [
    ['{source="cache"}', stats.bytesFromCache],
    ['{source="store"}', stats.bytesFromStore],
  ]);
  metric('fills_total', 'counter', 'Blobs copied into the cache, by outcome', [
    ['{outcome="stored"}', stats.fills],
    ['{outcome="failed"}', stats.fillFailures],
    ['{outcome="skipped"}', stats.fillsSkipped],
  ]);
  metric('filled_bytes_total', 'counter', 'Bytes copied into the cache', [['', stats.filledBytes]]);
  metric('fills_pending', 'gauge', 'Fills queued or running', [['', stats.fillsPending]]);
  metric('verify_failures_total', 'counter', 'Cached copies that no longer matched their digest', [
    ['', stats.verifyFailures],
  ]);
  metric('evictions_total', 'counter', 'Blobs evicted from the cache', [['', stats.evictions]]);
  metric('evicted_bytes_total', 'counter', 'Bytes evicted from the cache', [['', stats.evictedBytes]]);
  metric('bytes', 'gauge', 'Bytes of the cached blobs', [['', stats.bytes]]);
  metric('entries', 'gauge', 'Cached blobs', [['', stats.entries]]);
  metric('max_bytes', 'gauge', 'The cache size bound', [['', stats.maxBytes]]);
  return `${lines.join('\n')}\n`;
}
