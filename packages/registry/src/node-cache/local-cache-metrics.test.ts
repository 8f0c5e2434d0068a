import { describe, expect, it } from 'vitest';
import { formatLocalCacheMetrics } from './local-cache-metrics.js';

describe('formatLocalCacheMetrics', () => {
  it('prints every counter and gauge in the Prometheus text format', () => {
    const text = formatLocalCacheMetrics({
      directory: '/var/cache/glci',
      maxBytes: 1000,
      bytes: 400,
      entries: 2,
      hits: 5,
      misses: 3,
      bytesFromCache: 5000,
      bytesFromStore: 3000,
      fills: 2,
      filledBytes: 400,
      fillFailures: 1,
      fillsSkipped: 4,
      fillsPending: 1,
      verifyFailures: 1,
      evictions: 6,
      evictedBytes: 600,
    });
    for (const line of [
      'glci_registry_local_cache_reads_total{result="hit"} 5',
      'glci_registry_local_cache_reads_total{result="miss"} 3',
      'glci_registry_local_cache_read_bytes_total{source="cache"} 5000',
      'glci_registry_local_cache_read_bytes_total{source="store"} 3000',
      'glci_registry_local_cache_fills_total{outcome="stored"} 2',
      'glci_registry_local_cache_fills_total{outcome="failed"} 1',
      'glci_registry_local_cache_fills_total{outcome="skipped"} 4',
      'glci_registry_local_cache_filled_bytes_total 400',
      'glci_registry_local_cache_fills_pending 1',
      'glci_registry_local_cache_verify_failures_total 1',
      'glci_registry_local_cache_evictions_total 6',
      'glci_registry_local_cache_evicted_bytes_total 600',
      'glci_registry_local_cache_bytes 400',
      'glci_registry_local_cache_entries 2',
      'glci_registry_local_cache_max_bytes 1000',
      '# TYPE glci_registry_local_cache_reads_total counter',
      '# TYPE glci_registry_local_cache_bytes gauge',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    expect(text.endsWith('\n')).toBe(true);
  });
});
