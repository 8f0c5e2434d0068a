import net from 'node:net';
import { createSilentLogger } from '@glci/config';
import { describe, expect, it, vi } from 'vitest';
import { type EngineProbe, EngineWatch, engineProbe, waitForEngine } from './engine-watch.js';

const logger = createSilentLogger();

/** A probe that answers while `up` says so, counting its calls. */
function switchable(up: () => boolean): EngineProbe & { calls: number } {
  const probe = Object.assign(
    async () => {
      probe.calls += 1;
      if (!up()) throw new Error('tcp://engine:2376: connect: connection refused');
    },
    { calls: 0 },
  );
  return probe;
}

/** Resolves once `condition` holds, polling as often as the fake engines change. */
const until = (condition: () => boolean) => vi.waitUntil(condition, { timeout: 10_000, interval: 2 });

describe('EngineWatch', () => {
  it('reports a loss only after `misses` probes in a row fail, once, with the last error', async () => {
    let up = true;
    const probe = switchable(() => up);
    const lost: Error[] = [];
    const watch = new EngineWatch({
      host: 'tcp://engine:2376',
      probe,
      intervalMs: 5,
      misses: 3,
      logger,
      onLost: (error) => lost.push(error),
    });
    watch.start();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(lost).toEqual([]);
    up = false;
    await until(() => lost.length > 0);
    const failedProbes = probe.calls;
    expect(lost).toHaveLength(1);
    expect(lost[0]!.message).toBe('tcp://engine:2376: connect: connection refused');
    expect(watch.watching).toBe(false);
    // Stopped after the loss: no more probes.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(probe.calls).toBe(failedProbes);
  });

  it('forgives a failed probe that the next one answers', async () => {
    const answers = [true, false, true, false, false, true, true, true];
    const probe = switchable(() => answers.shift() ?? true);
    const lost: Error[] = [];
    const watch = new EngineWatch({
      host: 'h',
      probe,
      intervalMs: 2,
      misses: 3,
      logger,
      onLost: (e) => lost.push(e),
    });
    watch.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    watch.stop();
    expect(lost).toEqual([]);
  });

  it('probes nothing once stopped', async () => {
    const probe = switchable(() => true);
    const watch = new EngineWatch({ host: 'h', probe, intervalMs: 2, logger, onLost: () => undefined });
    watch.start();
    watch.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(probe.calls).toBe(0);
  });
});

describe('waitForEngine', () => {
  it('resolves as soon as the engine answers again', async () => {
    let calls = 0;
    const result = await waitForEngine({
      probe: async () => {
        calls += 1;
        if (calls < 3) throw new Error('down');
      },
      timeoutMs: 5_000,
      retryMs: 5,
    });
    expect(result).toEqual({ back: true });
    expect(calls).toBe(3);
  });

  it('gives up after the timeout with the last probe error', async () => {
    let calls = 0;
    const started = Date.now();
    const result = await waitForEngine({
      probe: async () => {
        calls += 1;
        throw new Error(`down ${calls}`);
      },
      timeoutMs: 50,
      retryMs: 10,
    });
    expect(result.back).toBe(false);
    expect(!result.back && result.error.message).toBe(`down ${calls}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});

describe('engineProbe', () => {
  it('fails naming the endpoint and the step when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const probe = engineProbe({ host: `tcp://127.0.0.1:${port}`, source: 'config' }, { timeoutMs: 2_000 });
    await expect(probe()).rejects.toThrow(`tcp://127.0.0.1:${port}: connect:`);
  });

  it('fails within its timeout when the engine accepts but never answers (a cut that drops packets)', async () => {
    const held: net.Socket[] = [];
    const server = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as net.AddressInfo;
    try {
      const probe = engineProbe({ host: `tcp://127.0.0.1:${port}`, source: 'config' }, { timeoutMs: 300 });
      const started = Date.now();
      await expect(probe()).rejects.toThrow(`tcp://127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
