import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeCacheControl, parseNodeCacheMetrics } from './node-cache-control.js';

describe('parseNodeCacheMetrics', () => {
  it('reads the counters glci prints, and refuses a node without the cache', () => {
    // As glci registry serve prints it (packages/registry, local-cache-metrics.ts).
    const text = [
      'glci_registry_http_requests_in_flight 1',
      '# TYPE glci_registry_local_cache_reads_total counter',
      'glci_registry_local_cache_reads_total{result="hit"} 7',
      'glci_registry_local_cache_reads_total{result="miss"} 3',
      'glci_registry_local_cache_fills_total{outcome="stored"} 4',
      'glci_registry_local_cache_fills_total{outcome="failed"} 0',
      'glci_registry_local_cache_fills_pending 1',
      'glci_registry_local_cache_entries 2',
      '',
    ].join('\n');
    expect(parseNodeCacheMetrics(text)).toEqual({
      hits: 7,
      misses: 3,
      fillsStored: 4,
      fillsPending: 1,
      entries: 2,
    });
    expect(() => parseNodeCacheMetrics('glci_registry_http_requests_in_flight 1\n')).toThrow(
      /is the node-local cache on/,
    );
  });
});

describe('nodeCacheControl', () => {
  it('clear() deletes the cached blobs and nothing else', async () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-node-cache-'));
    try {
      mkdirSync(path.join(directory, 'blobs', 'sha256'), { recursive: true });
      mkdirSync(path.join(directory, 'tmp'));
      writeFileSync(path.join(directory, 'blobs', 'sha256', 'a'.repeat(64)), 'x');
      writeFileSync(path.join(directory, 'tmp', 'keep'), 'x');
      await nodeCacheControl('http://127.0.0.1:1', directory).clear();
      expect(readdirSync(path.join(directory, 'blobs', 'sha256'))).toEqual([]);
      expect(readdirSync(path.join(directory, 'tmp'))).toEqual(['keep']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
