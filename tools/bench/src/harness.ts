import { execFile } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { CpuProbe } from './cpu.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryLauncher, RegistryUnderTest } from './registry-under-test.js';
import { RssProbe } from './rss.js';
import type { BenchContext, BenchSizes, Row, ScenarioGroup, Side, SideLaunchers } from './scenario.js';

const execFileAsync = promisify(execFile);

export interface SideResult {
  readonly name: string;
  /** One value per timed run, in the row's unit. */
  readonly samples: number[];
  readonly median?: number;
  /** Peak RSS of the registry process over the row's runs, in bytes. */
  readonly rssPeak?: number;
  /**
   * CPU seconds (user + system, all threads) the registry process spent in each timed run, where
   * /proc could tell. It shows how much work the registry itself did, apart from the client, the
   * docker daemon or the S3 server that share the machine with it.
   */
  readonly cpuSeconds?: number[];
}

export interface RowResult {
  readonly id: string;
  readonly group: string;
  readonly title: string;
  readonly unit: Row['unit'];
  readonly better: Row['better'];
  readonly target: number;
  readonly rssTarget?: number;
  readonly baseline: SideResult;
  readonly candidate: SideResult;
  /** Above 1 means the candidate is faster (see {@link Row.target}). */
  readonly ratio?: number;
  readonly pass?: boolean;
  /** Set when the row could not be measured; the report prints it as ERROR. */
  readonly error?: string;
}

export interface BenchResult {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly machine: {
    readonly cores: number;
    readonly cpu: string;
    readonly memoryBytes: number;
    readonly node: string;
    readonly loadAverageBefore: number[];
    readonly loadAverageAfter: number[];
  };
  readonly sizes: BenchSizes;
  readonly baseline: { readonly name: string; readonly description: string };
  readonly candidate: { readonly name: string; readonly description: string };
  readonly rows: RowResult[];
  /** Absolute limits checked besides the ratios (the planning row's in-process time). */
  readonly checks?: readonly {
    readonly id: string;
    readonly title: string;
    readonly seconds: number;
    readonly limitSeconds: number;
    readonly comparison?: '<' | '<=';
    readonly pass: boolean;
  }[];
  /** Where the pipeline rows' time went, per job (text lines, printed under the tables). */
  readonly breakdown?: readonly string[];
  /** Peak resident memory of each tool's processes during the pipeline rows' warm runs. */
  readonly memory?: readonly { readonly tool: string; readonly name: string; readonly bytes: number }[];
  /** Page-cache ballast written before the groups (absent when the page cache was not primed). */
  readonly pageCacheBallastBytes?: number;
}

export interface BenchOptions {
  readonly baseline: RegistryLauncher;
  readonly candidate: RegistryLauncher;
  readonly context: BenchContext;
  readonly groups: readonly ScenarioGroup[];
  /** Row ids to run (all when absent). */
  readonly only?: ReadonlySet<string>;
  /** Untimed, before each scenario group starts its registries: e.g. priming the page cache. */
  readonly beforeGroup?: () => Promise<void>;
}

interface OpenSide extends Side {
  close(): Promise<void>;
}

/**
 * Runs the selected rows on a fresh baseline and candidate per scenario group. Runs alternate
 * between the two sides (A B, then B A, ...) so drift in the machine's load hits both alike; the
 * page cache is flushed (`sync`, untimed) before every run so one run's writes do not slow the next.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { context } = options;
  const startedAt = new Date();
  const loadAverageBefore = os.loadavg();
  const rows: RowResult[] = [];
  for (const group of options.groups) {
    const selected = group.rows.filter((row) => !options.only || options.only.has(row.id));
    if (selected.length === 0) continue;
    const launchers =
      group.launchers?.({ baseline: options.baseline, candidate: options.candidate }) ?? options;
    await options.beforeGroup?.();
    context.progress(`${group.id}: starting ${launchers.baseline.name} and ${launchers.candidate.name}`);
    const sides: OpenSide[] = [];
    try {
      let failing = '';
      let failingRegistry: RegistryUnderTest | undefined;
      try {
        for (const launcher of [launchers.baseline, launchers.candidate]) {
          failing = launcher.name;
          failingRegistry = undefined;
          const side = await openSide(launcher);
          sides.push(side);
          failingRegistry = side.registry;
          if (group.prepare) {
            context.progress(`${group.id}: preparing ${side.registry.name}`);
            await group.prepare(side);
          }
        }
      } catch (error) {
        const message = `${failing}: ${describeFailure(error, failingRegistry)}`;
        context.progress(`${group.id}: set-up failed: ${message}`);
        for (const row of selected) rows.push(failedRow(group, row, launchers, message));
        continue;
      }
      for (const row of selected) rows.push(await runRow(group, row, sides as [OpenSide, OpenSide], context));
    } finally {
      // Also after a failed set-up (`continue` passes through here): the sides that started, then
      // whatever the group started for itself.
      await Promise.all(sides.map((side) => side.close()));
      await group.finish?.();
    }
  }
  const finishedAt = new Date();
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      node: process.version,
      loadAverageBefore,
      loadAverageAfter: os.loadavg(),
    },
    sizes: context.sizes,
    baseline: { name: options.baseline.name, description: options.baseline.description },
    candidate: { name: options.candidate.name, description: options.candidate.description },
    rows,
  };
}

async function runRow(
  group: ScenarioGroup,
  row: Row,
  [baseline, candidate]: [OpenSide, OpenSide],
  context: BenchContext,
): Promise<RowResult> {
  const samples = new Map<OpenSide, number[]>([
    [baseline, []],
    [candidate, []],
  ]);
  const peaks = new Map<OpenSide, number>();
  const cpu = new Map<OpenSide, number[]>([
    [baseline, []],
    [candidate, []],
  ]);
  const measureOnce = async (side: OpenSide, index: number, warmup: boolean) => {
    await execFileAsync('sync');
    let peak = 0;
    let cpuSeconds: number | undefined = 0;
    let clientCpuSeconds = 0;
    const value = await row.measure(side, {
      warmup,
      index,
      async timed(work) {
        const probe = new RssProbe(side.registry.pid);
        const cpuProbe = new CpuProbe(side.registry.pid);
        const clientCpu = process.cpuUsage();
        const start = performance.now();
        try {
          await work();
        } finally {
          peak = Math.max(peak, probe.stop());
          const client = process.cpuUsage(clientCpu);
          clientCpuSeconds += (client.user + client.system) / 1e6;
          const used = cpuProbe.stop();
          cpuSeconds = used === undefined || cpuSeconds === undefined ? undefined : cpuSeconds + used;
        }
        return (performance.now() - start) / 1000;
      },
    });
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${row.id} measured ${value}`);
    peaks.set(side, Math.max(peaks.get(side) ?? 0, peak));
    const label = warmup ? 'warm-up' : `run ${index + 1}/${context.sizes.repetitions}`;
    // The bench's own CPU too: on a small machine the client can be what limits a row.
    const cpuNote = `${cpuSeconds === undefined ? '' : `, CPU ${cpuSeconds.toFixed(2)} s`}, bench client CPU ${clientCpuSeconds.toFixed(2)} s`;
    context.progress(
      `${row.id} ${side.registry.name} ${label}: ${formatValue(value, row.unit)} (peak RSS ${Math.round(peak / 1048576)} MiB${cpuNote})`,
    );
    if (!warmup) {
      samples.get(side)?.push(value);
      if (cpuSeconds !== undefined) cpu.get(side)?.push(cpuSeconds);
    }
  };
  let current: OpenSide = baseline;
  try {
    if (row.warmup !== false) {
      for (const side of [baseline, candidate]) {
        current = side;
        await measureOnce(side, 0, true);
      }
    }
    for (let index = 0; index < context.sizes.repetitions; index++) {
      for (const side of index % 2 === 0 ? [baseline, candidate] : [candidate, baseline]) {
        current = side;
        await measureOnce(side, index, false);
      }
    }
  } catch (error) {
    const message = `${current.registry.name}: ${describeFailure(error, current.registry)}`;
    context.progress(`${row.id} failed: ${message}`);
    return { ...rowHead(group, row), ...sideResults(), error: message };
  }
  const result = sideResults();
  const b = result.baseline.median;
  const c = result.candidate.median;
  const ratio = b === undefined || c === undefined ? undefined : row.better === 'higher' ? c / b : b / c;
  return {
    ...rowHead(group, row),
    ...result,
    ratio,
    pass: ratio === undefined ? undefined : ratio >= row.target,
  };

  function sideResults() {
    const side = (open: OpenSide): SideResult => {
      const values = samples.get(open) ?? [];
      const cpuSeconds = cpu.get(open) ?? [];
      return {
        name: open.registry.name,
        samples: values,
        ...(values.length > 0 ? { median: median(values) } : {}),
        ...(peaks.has(open) ? { rssPeak: peaks.get(open) } : {}),
        // Only when every timed run could be measured, so a median never mixes in missing runs.
        ...(cpuSeconds.length > 0 && cpuSeconds.length === values.length ? { cpuSeconds } : {}),
      };
    };
    return { baseline: side(baseline), candidate: side(candidate) };
  }
}

async function openSide(launcher: RegistryLauncher): Promise<OpenSide> {
  const registry = await launcher.start();
  const client = new RegistryClient(registry.url);
  const extra: RegistryClient[] = [];
  return {
    registry,
    client,
    state: new Map(),
    connect(connections) {
      const another = new RegistryClient(registry.url, { connections });
      extra.push(another);
      return another;
    },
    async close() {
      await Promise.all([client, ...extra].map((each) => each[Symbol.asyncDispose]()));
      await registry.stop();
    },
  };
}

function rowHead(group: ScenarioGroup, row: Row) {
  return {
    id: row.id,
    group: group.id,
    title: row.title,
    unit: row.unit,
    better: row.better,
    target: row.target,
    ...(row.rssTarget !== undefined ? { rssTarget: row.rssTarget } : {}),
  };
}

function failedRow(group: ScenarioGroup, row: Row, options: SideLaunchers, error: string): RowResult {
  return {
    ...rowHead(group, row),
    baseline: { name: options.baseline.name, samples: [] },
    candidate: { name: options.candidate.name, samples: [] },
    error,
  };
}

function describeFailure(error: unknown, registry: RegistryUnderTest | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  const output = registry?.output().trim().split('\n').slice(-5).join(' | ');
  return output ? `${message} (registry output: ${output.slice(-600)})` : message;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function formatValue(value: number, unit: Row['unit']): string {
  if (unit === 's') return `${value.toFixed(2)} s`;
  if (unit === 'req/s') return `${Math.round(value)} req/s`;
  return `${value.toFixed(1)} MiB/s`;
}
