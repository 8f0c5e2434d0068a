import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JobStates } from './run-output.js';

const execFileAsync = promisify(execFile);

/** The slow job of each chain, in seconds; every other job takes `QUICK`. */
export const SLOW_SECONDS = 12;
const QUICK_SECONDS = 1;
const STAGES = ['build', 'test', 'package', 'deploy'] as const;
const CHAINS = ['web', 'api', 'docs'] as const;

/**
 * The DAG row's pipeline: 12 jobs in 4 stages, three chains joined by `needs` (`build-web` →
 * `test-web` → `package-web` → `deploy-web`, and so for `api` and `docs`), each chain with one
 * slow job in a different stage — the web build, the api tests, the docs packaging — as real
 * pipelines have a long build here and a long test suite there. Following `needs` exactly, each
 * chain takes one slow job and three quick ones; a tool that starts the next jobs only when the
 * whole batch it started before has ended waits for a slow job in three of the four waves.
 */
export function dagPipelineYaml(): string {
  const lines = [
    '# The bench DAG (tools/bench/src/pipeline-run/dag-project.ts): three chains joined by needs.',
    `stages: [${STAGES.join(', ')}]`,
    '',
  ];
  STAGES.forEach((stage, stageIndex) => {
    CHAINS.forEach((chain, chainIndex) => {
      const seconds = chainIndex === stageIndex ? SLOW_SECONDS : QUICK_SECONDS;
      lines.push(
        `${stage}-${chain}:`,
        `  stage: ${stage}`,
        `  needs: [${stageIndex === 0 ? '' : `${STAGES[stageIndex - 1]}-${chain}`}]`,
        '  script:',
        `    - echo "${stage} ${chain} for ${seconds} s"`,
        `    - sleep ${seconds}`,
        '',
      );
    });
  });
  return `${lines.join('\n')}`;
}

/** Every job of the DAG succeeds. */
export const DAG_EXPECTED_STATES: JobStates = Object.fromEntries(
  STAGES.flatMap((stage) => CHAINS.map((chain) => [`${stage}-${chain}`, 'success'])),
);

/**
 * The shortest time each schedule allows for the jobs' own work (no tool's overhead): following
 * `needs`, the longest chain; in waves of what was ready, the slowest job of each wave added up.
 */
export function dagScriptSeconds(): { needs: number; waves: number } {
  const chain = SLOW_SECONDS + (STAGES.length - 1) * QUICK_SECONDS;
  const waves = STAGES.reduce(
    (sum, _stage, index) => sum + (index < CHAINS.length ? SLOW_SECONDS : QUICK_SECONDS),
    0,
  );
  return { needs: chain, waves };
}

/** A fresh checkout of the DAG project at `dir`, one commit on `main` (origin as the bench project's). */
export async function createDagProject(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '.gitlab-ci.yml'), dagPipelineYaml());
  writeFileSync(path.join(dir, 'README.md'), 'The bench DAG: three chains of four jobs joined by needs.\n');
  const git = (...args: string[]) =>
    execFileAsync('git', ['-C', dir, '-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args]);
  await git('init', '-q', '-b', 'main');
  await git('remote', 'add', 'origin', 'https://gitlab.example.com/examples/dag.git');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'Three chains of four jobs joined by needs');
  return dir;
}
