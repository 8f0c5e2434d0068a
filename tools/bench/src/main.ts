import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createBlobFactory } from './blob-source.js';
import { chartPath, renderChart } from './chart.js';
import { craneMemoryLauncher } from './crane-memory-launcher.js';
import { runBench } from './harness.js';
import { parseOptions, USAGE } from './options.js';
import { PageCachePrimer } from './page-cache-primer.js';
import type { GlciMachine } from './pipeline-run/glci-machine.js';
import { PIPELINE_ROWS, runPipelineRows } from './pipeline-run/pipeline-rows.js';
import { GITLAB_INCLUDE_ROWS, runGitlabIncludeRows } from './planning/gitlab-include-rows.js';
import { GITLAB_CI_LOCAL, PLANNING_ROW, runPlanning } from './planning/planning-rows.js';
import { readProcStat } from './proc.js';
import {
  distributionLauncher,
  GLCI_CLI,
  glciLauncher,
  REPO_ROOT,
  type RegistryLauncher,
  type RegistryUnderTest,
} from './registry-under-test.js';
import { formatReport, summarize } from './report.js';
import { type BenchContext, FULL_SIZES, QUICK_SIZES } from './scenario.js';
import { removeBenchImages } from './scenarios/docker-e2e.js';
import { allScenarios } from './scenarios/index.js';

/**
 * Builds the CLI and the packages it depends on through turbo (cached: nearly free when nothing
 * changed); its output goes to stderr.
 */
async function buildCli(): Promise<void> {
  const args = ['exec', 'turbo', 'run', 'build', '--filter=@glci/cli', '--output-logs=errors-only'];
  const child = spawn('pnpm', args, {
    cwd: REPO_ROOT,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', process.stderr, process.stderr],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0)
    throw new Error(`building the CLI failed (exit ${code}); see above. Or run with --no-build.`);
}

/**
 * SIGTERM to every process this one started that is still running (registries or S3 servers a
 * scenario started inside a run), found through /proc.
 */
async function stopChildren(): Promise<void> {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // From the state on: the parent's pid comes second (gone meanwhile: no fields).
    const ppid = Number(readProcStat(Number(entry))?.[1]);
    if (ppid === process.pid) children.push(Number(entry));
  }
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already exited
    }
  }
  if (children.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const base = options.quick ? QUICK_SIZES : FULL_SIZES;
  const sizes = options.repetitions ? { ...base, repetitions: options.repetitions } : base;
  const began = performance.now();
  const context: BenchContext = {
    sizes,
    blob: createBlobFactory(),
    progress: (message) => {
      process.stderr.write(
        `[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s] ${message}\n`,
      );
    },
  };
  const groups = allScenarios(context);
  if (options.list) {
    for (const group of groups)
      for (const row of group.rows) process.stdout.write(`${row.id}\t${row.title}\n`);
    process.stdout.write(`${PLANNING_ROW.id}\t${PLANNING_ROW.title}\n`);
    for (const row of GITLAB_INCLUDE_ROWS) process.stdout.write(`${row.id}\t${row.title}\n`);
    for (const row of PIPELINE_ROWS) process.stdout.write(`${row.id}\t${row.title}\n`);
    return 0;
  }
  const known = new Set([
    ...groups.flatMap((group) => group.rows.map((row) => row.id)),
    PLANNING_ROW.id,
    ...GITLAB_INCLUDE_ROWS.map((row) => row.id),
    ...PIPELINE_ROWS.map((row) => row.id),
  ]);
  for (const id of options.only ?? []) {
    if (!known.has(id)) throw new Error(`unknown row ${id}; rows: ${[...known].join(', ')}`);
  }
  if (options.candidate === 'glci' && options.build) {
    context.progress('building the CLI: turbo run build --filter=@glci/cli');
    await buildCli();
  }
  const candidate: RegistryLauncher =
    options.candidate === 'glci'
      ? glciLauncher({ cliPath: GLCI_CLI })
      : options.candidate === 'crane'
        ? craneMemoryLauncher()
        : distributionLauncher('distribution-b');
  // crane's registry has no S3 storage or proxy mode, and the planning and pipeline rows are glci's
  // CLI: a ceiling only means something on the rows where the registry is the whole server.
  const ceilingOnly = options.candidate === 'crane';
  const runnable = ceilingOnly ? groups.filter((group) => group.launchers === undefined) : groups;
  if (ceilingOnly) {
    const plain = new Set(runnable.flatMap((group) => group.rows.map((row) => row.id)));
    const other = [...(options.only ?? [])].filter((id) => !plain.has(id));
    if (other.length > 0)
      throw new Error(`--candidate crane runs only the plain registry rows, not ${other.join(', ')}`);
  }
  // Ctrl-C: stop the registries (and remove their 1 GiB blobs) and this run's docker images.
  const running = new Set<RegistryUnderTest>();
  let interrupted = false;
  const tracked = (launcher: RegistryLauncher): RegistryLauncher => ({
    ...launcher,
    async start() {
      if (interrupted) throw new Error('interrupted');
      const registry = await launcher.start();
      if (interrupted) {
        await registry.stop();
        throw new Error('interrupted');
      }
      running.add(registry);
      return {
        ...registry,
        stop: async () => {
          running.delete(registry);
          await registry.stop();
        },
      };
    },
  });
  // See PageCachePrimer: without it, how much memory happens to be free decides a push's speed.
  const primer =
    options.prime && !options.quick
      ? new PageCachePrimer({
          directory: path.join(os.tmpdir(), `glci-bench-ballast-${process.pid}`),
          progress: context.progress,
        })
      : undefined;
  // The pipeline rows' glci machines: their daemons are not this process's children.
  const machines = new Set<GlciMachine>();
  const interrupt = (signal: NodeJS.Signals) => {
    interrupted = true;
    primer?.dispose();
    context.progress(`${signal}: stopping the registries and glci daemons, removing this run's images`);
    void Promise.allSettled([...running].map((registry) => registry.stop()))
      .then(() => stopChildren())
      .then(() => Promise.allSettled([...machines].map((machine) => machine.dispose())))
      .then(() => removeBenchImages(process.pid))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let result: Awaited<ReturnType<typeof runBench>>;
  try {
    result = await runBench({
      baseline: tracked(distributionLauncher()),
      candidate: tracked(candidate),
      context,
      groups: runnable,
      ...(options.only ? { only: options.only } : {}),
      ...(primer ? { beforeGroup: async () => void (await primer.prime()) } : {}),
    });
  } finally {
    primer?.dispose();
  }
  // Only when a group ran: the planning and pipeline rows are never primed.
  if (primer && primer.written > 0) result = { ...result, pageCacheBallastBytes: primer.written };
  if (!ceilingOnly && (!options.only || options.only.has(PLANNING_ROW.id))) {
    // Planning is CPU work in short processes: no registries, no page-cache priming.
    const { row, check } = await runPlanning(context);
    result = { ...result, rows: [...result.rows, row], checks: [check] };
  }
  if (!ceilingOnly && (!options.only || GITLAB_INCLUDE_ROWS.some((row) => options.only?.has(row.id)))) {
    // Includes from a GitLab instance (the stand-in, with latency), against gitlab-ci-local.
    const rows = await runGitlabIncludeRows(context, options.only, GITLAB_CI_LOCAL);
    result = { ...result, rows: [...result.rows, ...rows] };
  }
  if (!ceilingOnly && (!options.only || PIPELINE_ROWS.some((row) => options.only?.has(row.id)))) {
    // `glci run` against gitlab-ci-local: no registries, no priming; each round cleans up after itself.
    const pipeline = await runPipelineRows(context, {
      cliPath: GLCI_CLI,
      gitlabCiLocal: GITLAB_CI_LOCAL,
      machines,
      ...(options.only ? { only: options.only } : {}),
    });
    result = {
      ...result,
      rows: [...result.rows, ...pipeline.rows],
      checks: [...(result.checks ?? []), ...pipeline.checks],
      ...(pipeline.memory.length > 0 ? { memory: pipeline.memory } : {}),
      ...(pipeline.breakdown.length > 0 ? { breakdown: pipeline.breakdown } : {}),
    };
  }
  // The registry groups' numbers were taken before the planning and pipeline rows ran.
  const finishedAt = new Date();
  result = {
    ...result,
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - new Date(result.startedAt).getTime()) / 1000,
    machine: { ...result.machine, loadAverageAfter: os.loadavg() },
  };
  const json = `${JSON.stringify(result, null, 2)}\n`;
  // Relative to where `pnpm bench` was typed, not tools/bench where pnpm runs the script.
  const typedHere = (file: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
  if (typeof options.json === 'string') {
    const file = typedHere(options.json);
    writeFileSync(file, json);
    context.progress(`results written to ${file}`);
  }
  const chart = chartPath(options);
  if (chart) {
    writeFileSync(typedHere(chart), renderChart(result));
    context.progress(`chart written to ${typedHere(chart)}`);
  }
  process.stdout.write(options.json === true ? json : formatReport(result));
  return summarize(result).error > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
