import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBenchProject, EXPECTED_STATES } from './bench-project.js';
import { createDagProject, DAG_EXPECTED_STATES } from './dag-project.js';
import { runGitlabCiLocal } from './gitlab-ci-local-side.js';
import { createGlciMachine, type GlciMachine } from './glci-machine.js';
import { type GlciRunBreakdown, glciBreakdown, type JobWindow } from './pipeline-breakdown.js';
import { PeakMemorySampler } from './process-memory.js';
import type { FirstLines } from './run-output.js';

/** One round of one tool: its runs' times, and where the time went. */
export interface Round {
  readonly cold: number;
  readonly warm: number;
  readonly firstTrace: number;
  /** The warm run's first job lines by kind (see `glciFirstLines`, `gitlabCiLocalFirstLines`). */
  readonly firstLines: FirstLines;
  /** The DAG project's pipeline, run right after the warm one (glci: the same daemon). */
  readonly dag: number;
  /** glci: the bench project again after `glci daemon stop` (as after its idle stop). */
  readonly restart?: number;
  /** glci: its containers still running after the daemon stopped (should be none). */
  readonly runningAfterStop?: readonly string[];
  readonly memory: ReadonlyMap<string, number>;
  /** Per job of the warm and DAG runs: glci's breakdown, or gitlab-ci-local's job windows. */
  readonly glci?: { readonly warm: GlciRunBreakdown; readonly dag: GlciRunBreakdown };
  readonly gitlabCiLocal?: {
    readonly warm: Record<string, JobWindow>;
    readonly dag: Record<string, JobWindow>;
  };
}

/**
 * gitlab-ci-local's round: a new checkout and HOME, the bench project cold then warm in it, then
 * the DAG project in a checkout of its own with the same HOME; everything deleted afterwards.
 */
export async function gitlabCiLocalRound(binary: string): Promise<Round> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-gcl-'));
  try {
    const project = await createBenchProject(path.join(root, 'project'));
    const home = path.join(root, 'home');
    const cold = await runGitlabCiLocal(binary, project, home, EXPECTED_STATES);
    const warm = await runGitlabCiLocal(binary, project, home, EXPECTED_STATES);
    const dagProject = await createDagProject(path.join(root, 'dag'));
    const dag = await runGitlabCiLocal(binary, dagProject, home, DAG_EXPECTED_STATES);
    return {
      cold: cold.seconds,
      warm: warm.seconds,
      firstTrace: warm.firstLineSeconds,
      firstLines: warm.firstLines,
      dag: dag.seconds,
      memory: new Map([['gitlab-ci-local process', warm.peakRss]]),
      gitlabCiLocal: { warm: warm.jobs, dag: dag.jobs },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * glci's round: a new user (HOME, instance: no daemon, mock or runner yet), the bench project
 * cold then warm, the DAG project with the same daemon, then `glci daemon stop` (its containers
 * must stop with it) and the bench project once more from there; then everything removed.
 */
export async function glciRound(cliPath: string, machines: Set<GlciMachine> | undefined): Promise<Round> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-run-'));
  const machine = await createGlciMachine({ cliPath, root: path.join(root, 'machine') });
  machines?.add(machine);
  let round: Round;
  let left: string[];
  try {
    const project = await createBenchProject(path.join(root, 'project'));
    const cold = await machine.run(project, EXPECTED_STATES);
    const sampler = new PeakMemorySampler(await machine.memoryTargets());
    let memory: Map<string, number>;
    let warm: Awaited<ReturnType<typeof machine.run>>;
    try {
      warm = await machine.run(project, EXPECTED_STATES);
    } finally {
      memory = sampler.stop();
    }
    const dagProject = await createDagProject(path.join(root, 'dag'));
    const dag = await machine.run(dagProject, DAG_EXPECTED_STATES);
    const breakdown = {
      warm: glciBreakdown(await machine.timings(project, warm.pipelineId)),
      dag: glciBreakdown(await machine.timings(dagProject, dag.pipelineId)),
    };
    const runningAfterStop = await machine.stopDaemon();
    const restart = await machine.run(project, EXPECTED_STATES);
    round = {
      cold: cold.seconds,
      warm: warm.seconds,
      firstTrace: warm.firstTraceSeconds,
      firstLines: warm.firstLines,
      dag: dag.seconds,
      restart: restart.seconds,
      runningAfterStop,
      memory,
      glci: breakdown,
    };
  } finally {
    // Also after a failed run, whose own error then goes on.
    left = await machine.dispose();
    machines?.delete(machine);
    rmSync(root, { recursive: true, force: true });
  }
  if (left.length > 0) throw new Error(`glci left Docker objects behind: ${left.join(', ')}`);
  return round;
}
