import { describe, expect, it } from 'vitest';
import { createBlobFactory } from './blob-source.js';
import { runBench } from './harness.js';
import type { RegistryLauncher, RegistryUnderTest } from './registry-under-test.js';
import { type BenchContext, QUICK_SIZES, type ScenarioGroup } from './scenario.js';

/** A registry that is no server at all: the harness only needs a pid and stop(). */
function fakeLauncher(name: string, events: string[]): RegistryLauncher {
  return {
    name,
    description: `fake ${name}`,
    async start(): Promise<RegistryUnderTest> {
      events.push(`start ${name}`);
      const stop = async () => {
        events.push(`stop ${name}`);
      };
      return {
        name,
        url: 'http://127.0.0.1:9',
        host: '127.0.0.1:9',
        pid: process.pid,
        storageDirectory: '/nonexistent',
        output: () => `${name} output`,
        stop,
        [Symbol.asyncDispose]: stop,
      };
    },
  };
}

const context: BenchContext = {
  sizes: { ...QUICK_SIZES, repetitions: 3 },
  blob: createBlobFactory(),
  progress: () => {},
};

describe('runBench', () => {
  it('warms up, alternates the sides, takes medians and stops every registry', async () => {
    const events: string[] = [];
    const speed: Record<string, number[]> = { base: [10, 10, 40, 10], cand: [30, 25, 20, 99] };
    const group: ScenarioGroup = {
      id: 'g',
      rows: [
        {
          id: 'r',
          title: 'row',
          unit: 'MiB/s',
          better: 'higher',
          target: 1.25,
          rssTarget: 1024 ** 4,
          async measure(side, run) {
            events.push(`${run.warmup ? 'warm' : 'run'} ${side.registry.name}`);
            await run.timed(async () => {});
            return speed[side.registry.name]!.shift()!;
          },
        },
      ],
    };
    const result = await runBench({
      baseline: fakeLauncher('base', events),
      candidate: fakeLauncher('cand', events),
      context,
      groups: [group],
    });
    expect(events).toEqual([
      'start base',
      'start cand',
      'warm base',
      'warm cand',
      'run base',
      'run cand',
      'run cand',
      'run base',
      'run base',
      'run cand',
      'stop base',
      'stop cand',
    ]);
    const [row] = result.rows;
    expect(row?.baseline.samples).toEqual([10, 40, 10]);
    expect(row?.candidate.samples).toEqual([25, 20, 99]);
    expect(row?.ratio).toBe(2.5);
    expect(row?.pass).toBe(true);
    expect(row?.candidate.rssPeak).toBeGreaterThan(0);
  });

  it("records the registry's CPU time inside timed() only, once per timed run", async () => {
    // Both fake registries are this process: the candidate burns 100 ms of CPU inside timed(), the
    // baseline burns it outside.
    const burn = (ms: number) => {
      const start = process.cpuUsage();
      while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1000 < ms);
    };
    const group: ScenarioGroup = {
      id: 'g',
      rows: [
        {
          id: 'cpu',
          title: 'cpu',
          unit: 's',
          better: 'lower',
          target: 1.25,
          warmup: false,
          async measure(side, run) {
            if (side.registry.name === 'cand') return run.timed(async () => burn(100));
            burn(100);
            return run.timed(async () => {});
          },
        },
      ],
    };
    const result = await runBench({
      baseline: fakeLauncher('base', []),
      candidate: fakeLauncher('cand', []),
      context,
      groups: [group],
    });
    const [row] = result.rows;
    expect(row?.candidate.cpuSeconds).toHaveLength(3);
    for (const seconds of row!.candidate.cpuSeconds!) expect(seconds).toBeGreaterThanOrEqual(0.08);
    expect(row?.baseline.cpuSeconds).toHaveLength(3);
    for (const seconds of row!.baseline.cpuSeconds!) expect(seconds).toBeLessThan(0.06);
  });

  it('runs a group on its own launchers, and turns failures into ERROR rows', async () => {
    const events: string[] = [];
    const group: ScenarioGroup = {
      id: 's3-like',
      launchers: (run) => ({ baseline: run.baseline, candidate: fakeLauncher('own', events) }),
      async finish() {
        events.push('finish');
      },
      rows: [
        {
          id: 'boom',
          title: 'fails on the candidate',
          unit: 's',
          better: 'lower',
          target: 1.25,
          async measure(side) {
            if (side.registry.name === 'own') throw new Error('500 from the registry');
            return 1;
          },
        },
      ],
    };
    const result = await runBench({
      baseline: fakeLauncher('base', events),
      candidate: fakeLauncher('cand', events),
      context,
      groups: [group],
      only: new Set(['boom']),
    });
    expect(events).toEqual(['start base', 'start own', 'stop base', 'stop own', 'finish']);
    expect(result.rows[0]?.error).toBe('own: 500 from the registry (registry output: own output)');
    expect(result.rows[0]?.pass).toBeUndefined();
  });

  it('finishes a group whose set-up failed, after stopping the side that started', async () => {
    const events: string[] = [];
    const group: ScenarioGroup = {
      id: 'upstream-like',
      async prepare(side) {
        if (side.registry.name === 'cand') throw new Error('no room');
      },
      async finish() {
        events.push('finish');
      },
      rows: [{ id: 'r', title: 'row', unit: 's', better: 'lower', target: 1.25, measure: async () => 1 }],
    };
    const result = await runBench({
      baseline: fakeLauncher('base', events),
      candidate: fakeLauncher('cand', events),
      context,
      groups: [group],
    });
    expect(events).toEqual(['start base', 'start cand', 'stop base', 'stop cand', 'finish']);
    expect(result.rows[0]?.error).toContain('no room');
  });
});
