import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MOCK_IMAGE } from '@glci/testkit';
import { median, type RowResult } from '../harness.js';
import type { AbsoluteCheck } from '../planning/planning-rows.js';
import { REPO_ROOT } from '../registry-under-test.js';
import type { BenchContext } from '../scenario.js';
import { createBenchProject, EXPECTED_STATES } from './bench-project.js';
import { runGitlabCiLocal } from './gitlab-ci-local-side.js';
import { createGlciMachine, type GlciMachine } from './glci-machine.js';
import { PeakMemorySampler } from './process-memory.js';

const execFileAsync = promisify(execFile);

const JOBS = Object.keys(EXPECTED_STATES).length;

/** The pipeline rows, in report order; they share their runs, so any one selected runs them all. */
export const PIPELINE_ROWS = [
  { id: 'pipeline-cold', title: `pipeline run, cold (${JOBS} jobs, Docker executor)` },
  { id: 'pipeline-warm', title: 'pipeline run, warm (the same pipeline again)' },
  { id: 'pipeline-first-trace', title: "run to the first job's first log line, warm" },
] as const;

/** The target for glci's own overhead: `glci run` to the first trace line, warm daemon. */
export const FIRST_TRACE_LIMIT_SECONDS = 2;

/**
 * The ratio target of the pipeline rows: parity. The issue sets none for the wall times; both
 * tools run the same jobs in the same image on the same dockerd, so it asks that glci's mock,
 * runner and daemon cost the user no time against gitlab-ci-local's direct Docker calls.
 */
export const PIPELINE_RATIO_TARGET = 1;

/** A peak of resident memory during the warm runs (the highest over the runs). */
export interface MemoryPeak {
  readonly tool: string;
  readonly name: string;
  readonly bytes: number;
}

export interface PipelineRowsResult {
  readonly rows: RowResult[];
  readonly checks: AbsoluteCheck[];
  readonly memory: MemoryPeak[];
}

/** One round of one tool: a cold run on fresh state, then the warm run right after it. */
interface Round {
  readonly cold: number;
  readonly warm: number;
  readonly firstTrace: number;
  readonly memory: ReadonlyMap<string, number>;
}

export interface PipelineRowsOptions {
  /** The built CLI (`apps/glci/dist/bin.js`). */
  readonly cliPath: string;
  /** gitlab-ci-local's bin. */
  readonly gitlabCiLocal: string;
  /** Row ids to report (all when absent). */
  readonly only?: ReadonlySet<string>;
  /** Holds each glci machine while it exists, for a Ctrl-C handler to dispose of. */
  readonly machines?: Set<GlciMachine>;
}

/**
 * Builds (or keeps) every image the two tools need, none pulled: the mock from the current sources
 * (`glci-mock:local`, what `glci run` from a checkout starts; its packages through turbo, so an
 * unchanged tree costs seconds, where the image script's own `pnpm build` took two minutes on the
 * loaded machine), the runner, helper and job images, and the stand-ins for gitlab-ci-local's
 * helper and wait images.
 */
export async function preparePipelineImages(): Promise<void> {
  const options = { cwd: REPO_ROOT, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 };
  await execFileAsync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@glci/mock', '--output-logs=errors-only'],
    {
      ...options,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    },
  );
  await execFileAsync('bash', [path.join(REPO_ROOT, 'apps/mock/scripts/build-image.sh'), MOCK_IMAGE], {
    ...options,
    env: { ...process.env, GLCI_MOCK_IF_CHANGED: '1', GLCI_MOCK_SKIP_BUILD: '1' },
  });
  await execFileAsync('bash', [path.join(REPO_ROOT, 'scripts/build-runner-images.sh')], options);
  await execFileAsync(
    'bash',
    [path.join(REPO_ROOT, 'tools/bench/scripts/build-gitlab-ci-local-images.sh')],
    options,
  );
}

/**
 * The pipeline rows: the quickstart example with a cache and a service (see bench-project.ts), run
 * by gitlab-ci-local 4.73.0 and by `glci run` (the built CLI) with the Docker executor on the same
 * job image. Each round gives each tool fresh state (gitlab-ci-local: a new checkout and HOME;
 * glci: a new HOME and instance, so no daemon, mock or runner yet), times a cold run and then a
 * warm one of the same checkout, and drops the state. Rounds alternate which tool goes first; one
 * untimed round each comes first, except with --quick.
 */
export async function runPipelineRows(
  context: BenchContext,
  options: PipelineRowsOptions,
): Promise<PipelineRowsResult> {
  const rounds = { 'gitlab-ci-local': [] as Round[], glci: [] as Round[] };
  const selected = PIPELINE_ROWS.filter((row) => !options.only || options.only.has(row.id));
  try {
    context.progress('pipeline: building the images (mock, runner, jobs, gitlab-ci-local stand-ins)');
    await preparePipelineImages();
    const warmups = context.sizes.quick ? 0 : 1;
    for (let index = 0; index < warmups + context.sizes.repetitions; index++) {
      const warmup = index < warmups;
      const label = warmup ? 'warm-up' : `run ${index - warmups + 1}/${context.sizes.repetitions}`;
      const order =
        index % 2 === 0 ? (['gitlab-ci-local', 'glci'] as const) : (['glci', 'gitlab-ci-local'] as const);
      for (const tool of order) {
        const round =
          tool === 'glci'
            ? await glciRound(options.cliPath, options.machines)
            : await gitlabCiLocalRound(options.gitlabCiLocal);
        const memory = [...round.memory].map(([name, bytes]) => `${name} ${mib(bytes)}`).join(', ');
        context.progress(
          `pipeline ${tool} ${label}: cold ${round.cold.toFixed(2)} s, warm ${round.warm.toFixed(2)} s, first log line (warm) ${round.firstTrace.toFixed(2)} s; peak RSS (warm) ${memory}`,
        );
        if (!warmup) rounds[tool].push(round);
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.progress(`pipeline failed: ${message}`);
    return {
      rows: selected.map((row) => ({
        ...rowHead(row),
        baseline: {
          name: 'gitlab-ci-local',
          samples: rounds['gitlab-ci-local'].map((round) => pick(round, row.id)),
        },
        candidate: { name: 'glci', samples: rounds.glci.map((round) => pick(round, row.id)) },
        error: message,
      })),
      checks: options.only && !options.only.has('pipeline-first-trace') ? [] : [firstTraceCheck([])],
      memory: [],
    };
  }
  const rows = selected.map((row): RowResult => {
    const baseline = rounds['gitlab-ci-local'].map((round) => pick(round, row.id));
    const candidate = rounds.glci.map((round) => pick(round, row.id));
    const b = median(baseline);
    const c = median(candidate);
    return {
      ...rowHead(row),
      baseline: { name: 'gitlab-ci-local', samples: baseline, median: b },
      candidate: { name: 'glci', samples: candidate, median: c },
      ratio: b / c,
      pass: b / c >= PIPELINE_RATIO_TARGET,
    };
  });
  const memory: MemoryPeak[] = [];
  for (const tool of ['glci', 'gitlab-ci-local'] as const) {
    const names = new Set(rounds[tool].flatMap((round) => [...round.memory.keys()]));
    for (const name of names) {
      memory.push({
        tool,
        name,
        bytes: Math.max(...rounds[tool].map((round) => round.memory.get(name) ?? 0)),
      });
    }
  }
  const checks =
    options.only && !options.only.has('pipeline-first-trace')
      ? []
      : [firstTraceCheck(rounds.glci.map((round) => round.firstTrace))];
  return { rows, checks, memory };
}

async function gitlabCiLocalRound(binary: string): Promise<Round> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-gcl-'));
  try {
    const project = await createBenchProject(path.join(root, 'project'));
    const home = path.join(root, 'home');
    const cold = await runGitlabCiLocal(binary, project, home);
    const warm = await runGitlabCiLocal(binary, project, home);
    return {
      cold: cold.seconds,
      warm: warm.seconds,
      firstTrace: warm.firstLineSeconds,
      memory: new Map([['gitlab-ci-local process', warm.peakRss]]),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function glciRound(cliPath: string, machines: Set<GlciMachine> | undefined): Promise<Round> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-run-'));
  const machine = await createGlciMachine({ cliPath, root: path.join(root, 'machine') });
  machines?.add(machine);
  let round: Round;
  let left: string[];
  try {
    const project = await createBenchProject(path.join(root, 'project'));
    const cold = await machine.run(project);
    const sampler = new PeakMemorySampler(await machine.memoryTargets());
    let memory: Map<string, number>;
    let warm: Awaited<ReturnType<typeof machine.run>>;
    try {
      warm = await machine.run(project);
    } finally {
      memory = sampler.stop();
    }
    round = { cold: cold.seconds, warm: warm.seconds, firstTrace: warm.firstTraceSeconds, memory };
  } finally {
    // Also after a failed run, whose own error then goes on.
    left = await machine.dispose();
    machines?.delete(machine);
    rmSync(root, { recursive: true, force: true });
  }
  if (left.length > 0) throw new Error(`glci left Docker objects behind: ${left.join(', ')}`);
  return round;
}

function pick(round: Round, id: (typeof PIPELINE_ROWS)[number]['id']): number {
  return id === 'pipeline-cold' ? round.cold : id === 'pipeline-warm' ? round.warm : round.firstTrace;
}

function rowHead(row: (typeof PIPELINE_ROWS)[number]) {
  return {
    id: row.id,
    group: 'pipeline',
    title: row.title,
    unit: 's' as const,
    better: 'lower' as const,
    target: PIPELINE_RATIO_TARGET,
  };
}

function firstTraceCheck(samples: readonly number[]): AbsoluteCheck {
  const seconds = samples.length > 0 ? median(samples) : Number.NaN;
  return {
    id: 'pipeline-first-trace',
    title: "glci run to the first job's first trace line, warm daemon (median)",
    seconds,
    limitSeconds: FIRST_TRACE_LIMIT_SECONDS,
    pass: seconds < FIRST_TRACE_LIMIT_SECONDS,
  };
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
