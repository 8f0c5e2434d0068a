import { describe, expect, it } from 'vitest';
import { formatProxyMetrics } from './proxy-metrics.js';

describe('formatProxyMetrics', () => {
  it('prints one series per upstream and the cache gauges', () => {
    const text = formatProxyMetrics({
      upstreams: [
        {
          url: 'https://registry-1.docker.io',
          hits: 5,
          misses: 2,
          revalidations: 1,
          staleServed: 0,
          bytesFromCache: 100,
          bytesFetched: 40,
          rateLimitRemaining: '76;w=21600',
        },
        {
          url: 'https://registry.gitlab.com',
          hits: 0,
          misses: 0,
          revalidations: 0,
          staleServed: 3,
          bytesFromCache: 0,
          bytesFetched: 0,
        },
      ],
      cache: { bytes: 140, downloadsInFlight: 1 },
    });
    expect(text).toContain('glci_proxy_hits_total{upstream="https://registry-1.docker.io"} 5');
    expect(text).toContain('glci_proxy_stale_served_total{upstream="https://registry.gitlab.com"} 3');
    expect(text).toContain('glci_proxy_ratelimit_remaining{upstream="https://registry-1.docker.io"} 76');
    expect(text).not.toContain('glci_proxy_ratelimit_remaining{upstream="https://registry.gitlab.com"}');
    expect(text).toContain('glci_proxy_cache_bytes 140');
    expect(text.endsWith('\n')).toBe(true);
  });
});
