import type { ProxyStats } from './create-proxy.js';

/**
 * The proxy's counters in Prometheus text exposition format, for a registry's `/metrics` to append
 * (`glci_proxy_*`, one series per upstream). `ratelimit-remaining` is exported as its number (the
 * part before `;w=`), when an upstream sent one.
 */
export function formatProxyMetrics(stats: ProxyStats): string {
  const lines: string[] = [];
  const counter = (
    name: string,
    help: string,
    value: (u: ProxyStats['upstreams'][number]) => number | undefined,
    type = 'counter',
  ) => {
    lines.push(`# HELP glci_proxy_${name} ${help}`, `# TYPE glci_proxy_${name} ${type}`);
    for (const upstream of stats.upstreams) {
      const number = value(upstream);
      if (number !== undefined)
        lines.push(`glci_proxy_${name}{upstream="${escapeLabel(upstream.url)}"} ${number}`);
    }
  };
  counter('hits_total', 'Requests answered from the cache with no upstream request.', (u) => u.hits);
  counter('misses_total', 'Requests that fetched from the upstream.', (u) => u.misses);
  counter(
    'revalidations_total',
    'Cached tags revalidated with a HEAD after their validity window.',
    (u) => u.revalidations,
  );
  counter('stale_served_total', 'Cached copies served because the upstream failed.', (u) => u.staleServed);
  counter('bytes_from_cache_total', 'Bytes of cached content served.', (u) => u.bytesFromCache);
  counter('bytes_fetched_total', 'Bytes downloaded from the upstream.', (u) => u.bytesFetched);
  counter(
    'ratelimit_remaining',
    'The last ratelimit-remaining value the upstream sent.',
    (u) => (u.rateLimitRemaining === undefined ? undefined : Number.parseInt(u.rateLimitRemaining, 10)),
    'gauge',
  );
  lines.push(
    '# HELP glci_proxy_cache_bytes Bytes the proxy holds cached.',
    '# TYPE glci_proxy_cache_bytes gauge',
    `glci_proxy_cache_bytes ${stats.cache.bytes}`,
    '# HELP glci_proxy_downloads_in_flight Upstream blob downloads running.',
    '# TYPE glci_proxy_downloads_in_flight gauge',
    `glci_proxy_downloads_in_flight ${stats.cache.downloadsInFlight}`,
  );
  return `${lines.filter((line) => !line.endsWith(' NaN')).join('\n')}\n`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
