import { createSilentLogger } from '@glci/config';
import { describe, expect, it, vi } from 'vitest';
import type { ReadyInfrastructure } from '../infrastructure.js';
import { EngineLoss, type EnginePipeline } from './engine-loss.js';

/** Only what EngineLoss reads of an infrastructure: its endpoint. */
const ready = {
  network: { docker: { host: 'tcp://build-host:2376', source: 'config' } },
} as ReadyInfrastructure;

function pipeline(id: number, log: string[]): EnginePipeline {
  return {
    id,
    detach: async () => {
      log.push(`detach ${id}`);
    },
    notify: (message) => log.push(`notice ${id}: ${message}`),
  };
}

/** Resolves once `condition` holds, polling as often as the fake engines change. */
const until = (condition: () => boolean) => vi.waitUntil(condition, { timeout: 10_000, interval: 2 });

describe('EngineLoss', () => {
  it('detaches the pipelines on a lost engine, then takes them over once it answers again', async () => {
    const log: string[] = [];
    let up = true;
    const loss = new EngineLoss({
      logger: createSilentLogger(),
      reconnectTimeoutMs: () => 60_000,
      pipelinesOn: (on) => (on === ready ? [pipeline(7, log)] : []),
      drop: () => log.push('drop'),
      takeOver: async (pipelines, host) => {
        log.push(`take over ${pipelines.map((p) => p.id).join()} on ${host}`);
      },
      fail: async () => {
        log.push('fail');
      },
      watch: { intervalMs: 2, misses: 2 },
      probe: () => async () => {
        if (!up) throw new Error('tcp://build-host:2376: connect: connection refused (ECONNREFUSED)');
      },
    });
    loss.watch(ready);
    await new Promise((resolve) => setTimeout(resolve, 20));
    up = false;
    await until(() => log.includes('drop'));
    up = true;
    await until(() => log.some((line) => line.startsWith('take over')));
    loss.close();
    expect(log).toEqual([
      'detach 7',
      'notice 7: lost the connection to the Docker engine (tcp://build-host:2376: connect: connection refused (ECONNREFUSED)); the pipeline goes on once the engine is back (waiting up to 1m, [docker] reconnect_timeout)',
      'drop',
      'notice 7: the Docker engine tcp://build-host:2376 is back',
      'take over 7 on tcp://build-host:2376',
    ]);
  });

  it('fails them with the reason, naming the endpoint and the step, when the engine does not come back in time', async () => {
    const log: string[] = [];
    let reason = '';
    const loss = new EngineLoss({
      logger: createSilentLogger(),
      reconnectTimeoutMs: () => 30,
      pipelinesOn: () => [pipeline(8, log)],
      drop: () => log.push('drop'),
      takeOver: async () => {
        log.push('take over');
      },
      fail: async (pipelines, why) => {
        log.push(`fail ${pipelines.map((p) => p.id).join()}`);
        reason = why;
      },
      watch: { intervalMs: 2, misses: 1 },
      probe: () => async () => {
        throw new Error('tcp://build-host:2376: connect: connection refused (ECONNREFUSED)');
      },
    });
    loss.watch(ready);
    await until(() => reason !== '');
    expect(log).not.toContain('take over');
    expect(log.at(-1)).toBe('fail 8');
    expect(reason).toBe(
      'lost the connection to the Docker engine, and it did not come back within 30ms ([docker] reconnect_timeout): tcp://build-host:2376: connect: connection refused (ECONNREFUSED)',
    );
  });

  it('probes nothing once no pipeline runs on the engine', async () => {
    let probes = 0;
    const loss = new EngineLoss({
      logger: createSilentLogger(),
      reconnectTimeoutMs: () => 1_000,
      pipelinesOn: () => [],
      drop: () => undefined,
      takeOver: async () => undefined,
      fail: async () => undefined,
      watch: { intervalMs: 2 },
      probe: () => async () => {
        probes += 1;
      },
    });
    loss.watch(ready);
    loss.idle(ready);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(probes).toBe(0);
  });
});
