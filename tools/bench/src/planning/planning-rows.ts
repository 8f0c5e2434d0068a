import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { planProject } from '@glci/pipeline';
import { median, type RowResult } from '../harness.js';
import { GLCI_CLI, REPO_ROOT } from '../registry-under-test.js';
import type { BenchContext } from '../scenario.js';
import { generateProject } from './generate-config.js';

const execFileAsync = promisify(execFile);

/** gitlab-ci-local 4.73.0, the last release that runs on Node 20 (4.74 needs Set.prototype.union). */
export const GITLAB_CI_LOCAL = path.join(REPO_ROOT, 'tools/bench/node_modules/.bin/gitlab-ci-local');

export const PLANNING_ROW = {
  id: 'planning',
  title: 'planning 500 jobs (25 includes, extends): CLI run',
} as const;
/** The absolute target: planning 500 jobs in-process. */
export const PLANNING_LIMIT_SECONDS = 0.15;

/** A pass/fail check that is not a ratio (printed after the table, counted in the summary). */
export interface AbsoluteCheck {
  readonly id: string;
  readonly title: string;
  readonly seconds: number;
  readonly limitSeconds: number;
  /** How the value must compare with the limit (default `<`). */
  readonly comparison?: '<' | '<=';
  readonly pass: boolean;
}

/**
 * The planning row: `glci show --json` (the built CLI, a fresh process each run) against
 * `gitlab-ci-local --list-json` on the same generated project (500 jobs in 25 included files, two
 * levels of `extends`, `!reference`, rules and needs), runs alternating, one warm-up each. Also
 * times `planProject` in this process (after a warm-up) against the 150 ms limit.
 */
export async function runPlanning(context: BenchContext): Promise<{ row: RowResult; check: AbsoluteCheck }> {
  const project = generateProject({ components: 25, jobsPerFile: 20 });
  context.progress(`planning: generated ${project.jobs} jobs in ${project.files} files under ${project.dir}`);
  const baseline: number[] = [];
  const candidate: number[] = [];
  const head = {
    id: PLANNING_ROW.id,
    group: 'planning',
    title: PLANNING_ROW.title,
    unit: 's' as const,
    better: 'lower' as const,
    target: 3,
  };
  try {
    const runGlci = async () => {
      const started = performance.now();
      const { stdout } = await execFileAsync(
        process.execPath,
        [GLCI_CLI, 'show', '--json', '--context', 'branch=main'],
        {
          cwd: project.dir,
          maxBuffer: 512 * 1024 * 1024,
          env: { ...process.env, GLCI_LOG_LEVEL: 'error', GLCI_NO_DEFAULT_CONFIG: '1' },
        },
      );
      const seconds = (performance.now() - started) / 1000;
      const jobs = (JSON.parse(stdout) as { jobs: unknown[] }).jobs.length;
      if (jobs !== project.jobs) throw new Error(`glci planned ${jobs} jobs, expected ${project.jobs}`);
      return seconds;
    };
    const runPeer = async () => {
      const started = performance.now();
      const { stdout } = await execFileAsync(GITLAB_CI_LOCAL, ['--list-json'], {
        cwd: project.dir,
        maxBuffer: 512 * 1024 * 1024,
      });
      const seconds = (performance.now() - started) / 1000;
      const jobs = (JSON.parse(stdout) as unknown[]).length;
      if (jobs !== project.jobs)
        throw new Error(`gitlab-ci-local listed ${jobs} jobs, expected ${project.jobs}`);
      return seconds;
    };
    context.progress(
      `planning: warm-up (gitlab-ci-local ${(await runPeer()).toFixed(2)} s, glci ${(await runGlci()).toFixed(2)} s)`,
    );
    for (let index = 0; index < context.sizes.repetitions; index++) {
      const order = index % 2 === 0 ? [runPeer, runGlci] : [runGlci, runPeer];
      for (const run of order) {
        const seconds = await run();
        (run === runPeer ? baseline : candidate).push(seconds);
        context.progress(
          `planning ${run === runPeer ? 'gitlab-ci-local' : 'glci'} run ${index + 1}/${context.sizes.repetitions}: ${seconds.toFixed(3)} s`,
        );
      }
    }
    // In-process: what `glci run` pays before it schedules anything, without Node's start-up.
    await planProject({ dir: project.dir, context: { kind: 'branch', name: 'main' } });
    const inProcess: number[] = [];
    for (let index = 0; index < Math.max(3, context.sizes.repetitions); index++) {
      const started = performance.now();
      const plan = await planProject({ dir: project.dir, context: { kind: 'branch', name: 'main' } });
      inProcess.push((performance.now() - started) / 1000);
      if (plan.jobs.length !== project.jobs) throw new Error(`planProject planned ${plan.jobs.length} jobs`);
    }
    const seconds = median(inProcess);
    context.progress(
      `planning in-process: ${inProcess.map((value) => `${(value * 1000).toFixed(0)} ms`).join(', ')}`,
    );
    const b = median(baseline);
    const c = median(candidate);
    return {
      row: {
        ...head,
        baseline: { name: 'gitlab-ci-local', samples: baseline, median: b },
        candidate: { name: 'glci', samples: candidate, median: c },
        ratio: b / c,
        pass: b / c >= head.target,
      },
      check: {
        id: 'planning-in-process',
        title: `planProject, ${project.jobs} jobs, in-process (median)`,
        seconds,
        limitSeconds: PLANNING_LIMIT_SECONDS,
        pass: seconds < PLANNING_LIMIT_SECONDS,
      },
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.progress(`planning failed: ${message}`);
    return {
      row: {
        ...head,
        baseline: { name: 'gitlab-ci-local', samples: baseline },
        candidate: { name: 'glci', samples: candidate },
        error: message,
      },
      check: {
        id: 'planning-in-process',
        title: 'planProject in-process',
        seconds: Number.NaN,
        limitSeconds: PLANNING_LIMIT_SECONDS,
        pass: false,
      },
    };
  } finally {
    rmSync(project.dir, { recursive: true, force: true });
  }
}
