import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a glci node's `/metrics` says about its node-local blob cache. */
export interface NodeCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly fillsStored: number;
  readonly fillsPending: number;
  readonly entries: number;
}

/**
 * The bench's handle on the node-local blob cache of a glci node it started (`local_cache_dir=`):
 * counters from `/metrics`, waiting for background fills, and emptying the directory so that the
 * next read is a miss (the node notices the missing file and reads the store).
 */
export interface NodeCacheControl {
  readonly directory: string;
  stats(): Promise<NodeCacheStats>;
  /** Resolves once no fill is queued or running; fills read the store and write the disk, so no timed run may overlap one. */
  settle(timeoutMs?: number): Promise<void>;
  /** Deletes every cached blob file. */
  clear(): Promise<void>;
}

export function nodeCacheControl(url: string, directory: string): NodeCacheControl {
  const stats = async (): Promise<NodeCacheStats> => {
    const response = await fetch(`${url}/metrics`);
    if (response.status !== 200) throw new Error(`GET ${url}/metrics answered ${response.status}`);
    return parseNodeCacheMetrics(await response.text());
  };
  return {
    directory,
    stats,
    async settle(timeoutMs = 300_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await stats()).fillsPending > 0) {
        if (Date.now() > deadline) throw new Error(`the node cache was still filling after ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    async clear() {
      const blobs = path.join(directory, 'blobs');
      for (const algorithm of await readdir(blobs).catch(() => [] as string[])) {
        for (const name of await readdir(path.join(blobs, algorithm))) {
          await rm(path.join(blobs, algorithm, name), { force: true });
        }
      }
    },
  };
}

/** Reads the `glci_registry_local_cache_*` samples the bench uses; throws when they are absent. */
export function parseNodeCacheMetrics(text: string): NodeCacheStats {
  const sample = (name: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    if (!line) throw new Error(`/metrics has no ${name}: is the node-local cache on?`);
    return Number(line.slice(name.length + 1));
  };
  const prefix = 'glci_registry_local_cache';
  return {
    hits: sample(`${prefix}_reads_total{result="hit"}`),
    misses: sample(`${prefix}_reads_total{result="miss"}`),
    fillsStored: sample(`${prefix}_fills_total{outcome="stored"}`),
    fillsPending: sample(`${prefix}_fills_pending`),
    entries: sample(`${prefix}_entries`),
  };
}
