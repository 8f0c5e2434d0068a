import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { MOCK_IMAGE } from '@glci/testkit';
import { median, type RowResult } from '../harness.js';
import type { AbsoluteCheck } from '../planning/planning-rows.js';
import { REPO_ROOT } from '../registry-under-test.js';
import type { BenchContext } from '../scenario.js';
import { EXPECTED_STATES } from './bench-project.js';
import { dagScriptSeconds } from './dag-project.js';
import type { GlciMachine } from './glci-machine.js';
import { formatBreakdown } from './pipeline-breakdown.js';
import { gitlabCiLocalRound, glciRound, type Round } from './pipeline-rounds.js';

const execFileAsync = promisify(execFile);

const JOBS = Object.keys(EXPECTED_STATES).length;

/** The pipeline rows, in report order; they share their runs, so any one selected runs them all. */
export const PIPELINE_ROWS = [
  { id: 'pipeline-cold', title: `pipeline run, cold (${JOBS} jobs, Docker executor)`, target: 1 },
  { id: 'pipeline-warm', title: 'pipeline run, warm (the same pipeline again)', target: 1 },
  { id: 'pipeline-first-trace', title: "run to the first job's first log line, warm", target: 1 },
  {
    id: 'pipeline-dag',
    title: `DAG: 12 jobs, 3 chains joined by needs, 4 stages (scripts alone: ${dagScriptSeconds().needs} s by needs, ${dagScriptSeconds().waves} s in waves)`,
    target: 1.25,
  },
] as const;

/** The target for glci's own overhead: `glci run` to the first job's first log line, warm daemon. */
export const FIRST_TRACE_LIMIT_SECONDS = 0.8;

/**
 * The ratio target of the pipeline rows: parity with gitlab-ci-local for the pipeline runs (both
 * tools run the same jobs in the same image on the same dockerd, so glci's mock, runner and daemon
 * must cost the user no time against gitlab-ci-local's direct Docker calls), 1.25x where `needs`
 * matter (the DAG row: gitlab-ci-local starts what is ready only when its previous batch has ended).
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
  /** Where each tool's time went, per job, for the report (text lines). */
  readonly breakdown: string[];
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
        const restart =
          round.restart === undefined ? '' : `, after a daemon stop ${round.restart.toFixed(2)} s`;
        context.progress(
          `pipeline ${tool} ${label}: cold ${round.cold.toFixed(2)} s, warm ${round.warm.toFixed(2)} s, first log line (warm) ${round.firstTrace.toFixed(2)} s, DAG ${round.dag.toFixed(2)} s${restart}; peak RSS (warm) ${memory}`,
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
      breakdown: [],
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
      pass: b / c >= row.target,
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
  const checks = [
    ...(options.only && !options.only.has('pipeline-first-trace')
      ? []
      : [firstTraceCheck(rounds.glci.map((round) => round.firstTrace))]),
    restartCheck(rounds.glci),
  ];
  const breakdown = [
    formatFirstLines(rounds),
    '',
    ...formatBreakdown(
      'where the time went, warm pipeline run',
      rounds.glci.flatMap((round) => (round.glci ? [round.glci.warm] : [])),
      rounds['gitlab-ci-local'].flatMap((round) => (round.gitlabCiLocal ? [round.gitlabCiLocal.warm] : [])),
    ),
    '',
    ...formatBreakdown(
      'where the time went, DAG run',
      rounds.glci.flatMap((round) => (round.glci ? [round.glci.dag] : [])),
      rounds['gitlab-ci-local'].flatMap((round) => (round.gitlabCiLocal ? [round.gitlabCiLocal.dag] : [])),
    ),
  ];
  return { rows, checks, memory, breakdown };
}

/**
 * After `glci daemon stop` (what its idle stop does), nothing of glci may still run, and a
 * pipeline started then may take no longer than a cold one (median against median).
 */
function restartCheck(rounds: readonly Round[]): AbsoluteCheck {
  const left = [...new Set(rounds.flatMap((round) => round.runningAfterStop ?? []))];
  const restart = rounds.flatMap((round) => (round.restart === undefined ? [] : [round.restart]));
  const seconds = restart.length > 0 ? median(restart) : Number.NaN;
  const cold = rounds.length > 0 ? median(rounds.map((round) => round.cold)) : Number.NaN;
  return {
    id: 'pipeline-restart',
    title:
      left.length > 0
        ? `glci run after the daemon stopped, against a cold run; STILL RUNNING after the stop: ${left.join(', ')}`
        : 'glci run after the daemon stopped (its containers with it), against a cold run',
    seconds,
    limitSeconds: cold,
    comparison: '<=',
    pass: left.length === 0 && seconds <= cold,
  };
}

function pick(round: Round, id: (typeof PIPELINE_ROWS)[number]['id']): number {
  switch (id) {
    case 'pipeline-cold':
      return round.cold;
    case 'pipeline-warm':
      return round.warm;
    case 'pipeline-first-trace':
      return round.firstTrace;
    case 'pipeline-dag':
      return round.dag;
  }
}

function rowHead(row: (typeof PIPELINE_ROWS)[number]) {
  return {
    id: row.id,
    group: 'pipeline',
    title: row.title,
    unit: 's' as const,
    better: 'lower' as const,
    target: row.target,
  };
}

function firstTraceCheck(samples: readonly number[]): AbsoluteCheck {
  const seconds = samples.length > 0 ? median(samples) : Number.NaN;
  return {
    id: 'pipeline-first-trace',
    title: "glci run to the first job's first log line, warm daemon (median)",
    seconds,
    limitSeconds: FIRST_TRACE_LIMIT_SECONDS,
    comparison: '<=',
    pass: seconds <= FIRST_TRACE_LIMIT_SECONDS,
  };
}

/**
 * The warm run's first job lines by kind, side by side (medians): the first-line row counts
 * gitlab-ci-local's `starting` line and glci's first output line, so this says how the two compare
 * line for line (gitlab-ci-local's `starting` against glci's `running`, both printed before any
 * container of the job runs; the first container output in each).
 */
function formatFirstLines(rounds: { readonly 'gitlab-ci-local': Round[]; readonly glci: Round[] }): string {
  const at = (tool: keyof typeof rounds, kind: string) => {
    const samples = rounds[tool].flatMap((round) =>
      round.firstLines[kind] === undefined ? [] : [round.firstLines[kind]!],
    );
    return samples.length > 0 ? median(samples).toFixed(2) : '-';
  };
  return (
    'first job lines, warm run (median, seconds from the spawn): ' +
    `gitlab-ci-local starting ${at('gitlab-ci-local', 'starting')}, first container output ${at('gitlab-ci-local', 'output')} | ` +
    `glci running (the runner took the job) ${at('glci', 'running')}, first container output (live) ${at('glci', 'live')}, the runner's first log upload ${at('glci', 'trace')}`
  );
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
