import { createLogger } from '@glci/config';
import { MemoryDriver } from '@glci/registry';
import { describe, expect, it } from 'vitest';
import { CacheIndex } from './cache-index.js';
import { CACHE_STATE_PATH, ProxyStateStore, readSavedProxyStats, STATS_STATE_PATH } from './proxy-state.js';
import { UpstreamSet } from './upstream-set.js';

const logger = createLogger({ silent: true });
const clock = { now: () => Date.parse('2026-11-23T00:00:00Z') };

/** A memory driver that records the paths written. */
class RecordingDriver extends MemoryDriver {
  readonly writes: string[] = [];
  override async putContent(path: string, content: Uint8Array) {
    this.writes.push(path);
    return super.putContent(path, content);
  }
}

function proxyState(driver: MemoryDriver, urls: string[]) {
  const upstreams = new UpstreamSet(
    urls.map((url) => ({ url })),
    { logger, clock },
  );
  const index = new CacheIndex();
  return { upstreams, index, state: new ProxyStateStore(driver, index, upstreams, logger, clock) };
}

describe('ProxyStateStore', () => {
  it('saves the counters next to the cache index, only when they changed', async () => {
    const driver = new RecordingDriver();
    const { upstreams, state } = proxyState(driver, ['http://a.test', 'http://b.test']);
    await state.load();
    await state.save();
    // A fresh proxy writes its (empty) index once; counters still at zero are not written.
    expect(driver.writes).toEqual([CACHE_STATE_PATH]);
    driver.writes.length = 0;
    upstreams.upstreams[0]!.stats.hits += 2;
    upstreams.upstreams[0]!.stats.bytesFromCache += 300;
    upstreams.upstreams[1]!.stats.rateLimitRemaining = '76;w=21600';
    await state.save();
    expect(driver.writes).toEqual([STATS_STATE_PATH]);
    await state.save();
    expect(driver.writes).toEqual([STATS_STATE_PATH]);
    expect(await readSavedProxyStats(driver)).toEqual({
      version: 1,
      savedAt: clock.now(),
      upstreams: [
        {
          url: 'http://a.test',
          hits: 2,
          misses: 0,
          revalidations: 0,
          staleServed: 0,
          bytesFromCache: 300,
          bytesFetched: 0,
        },
        {
          url: 'http://b.test',
          hits: 0,
          misses: 0,
          revalidations: 0,
          staleServed: 0,
          bytesFromCache: 0,
          bytesFetched: 0,
          rateLimitRemaining: '76;w=21600',
        },
      ],
      cache: { bytes: 0, entries: 0 },
    });
  });

  it('starts a restarted proxy from the saved counters, and keeps those of an upstream no longer configured', async () => {
    const driver = new MemoryDriver();
    const first = proxyState(driver, ['http://a.test', 'http://gone.test']);
    await first.state.load();
    first.upstreams.upstreams[0]!.stats.misses = 3;
    first.upstreams.upstreams[0]!.stats.bytesFetched = 1000;
    first.upstreams.upstreams[1]!.stats.hits = 7;
    first.upstreams.upstreams[1]!.stats.lastError = 'http://gone.test: GET /v2/ failed';
    await first.state.save();

    const second = proxyState(driver, ['http://a.test']);
    await second.state.load();
    const a = second.upstreams.upstreams[0]!.stats;
    expect(a).toMatchObject({ misses: 3, bytesFetched: 1000, hits: 0 });
    a.hits += 1;
    a.misses += 1;
    await second.state.save();
    const saved = await readSavedProxyStats(driver);
    expect(saved?.upstreams).toEqual([
      expect.objectContaining({ url: 'http://a.test', hits: 1, misses: 4, bytesFetched: 1000 }),
      expect.objectContaining({
        url: 'http://gone.test',
        hits: 7,
        lastError: 'http://gone.test: GET /v2/ failed',
      }),
    ]);
  });

  it('counts from zero over an unreadable counters file, and replaces it at the next save', async () => {
    const driver = new MemoryDriver();
    expect(await readSavedProxyStats(driver)).toBeUndefined();
    await driver.putContent(STATS_STATE_PATH, new TextEncoder().encode('{"version":7}'));
    await expect(readSavedProxyStats(driver)).rejects.toThrow(/unknown format/);
    const { upstreams, state } = proxyState(driver, ['http://a.test']);
    await state.load();
    expect(upstreams.upstreams[0]!.stats.hits).toBe(0);
    await state.save();
    expect((await readSavedProxyStats(driver))?.upstreams).toHaveLength(1);
  });
});
