import { mkdirSync } from 'node:fs';
import { RUNNER_IMAGES } from '@glci/testkit';
import { gitlabCiLocalJobWindows, type JobWindow } from './pipeline-breakdown.js';
import { PeakMemorySampler } from './process-memory.js';
import {
  describeStateMismatch,
  type FirstLines,
  FirstLineWatcher,
  gitlabCiLocalFirstLines,
  gitlabCiLocalJobStates,
  isGitlabCiLocalJobStart,
  type JobStates,
} from './run-output.js';
import { outputTail, runTimed } from './run-timed.js';

/** Built by scripts/build-gitlab-ci-local-images.sh: stand-ins for the images gitlab-ci-local pulls. */
export const GITLAB_CI_LOCAL_IMAGES = {
  /** For docker.io/firecow/gitlab-ci-local-util (`--helper-image`): bash, rsync, busybox. */
  util: 'glci-bench/gitlab-ci-local-util:local',
  /** For docker.io/sumina46/wait-for-it (`--wait-image`): the service health check. */
  wait: 'glci-bench/wait-for-it:local',
} as const;

/**
 * gitlab-ci-local's command line for the bench project: every job in Docker (its default would run
 * a job without `image:` as a shell job on the host) on the same default image glci's jobs get,
 * the stand-in helper and wait images, images used when present (`--pull-policy if-not-present`,
 * its default, said here because nothing can be pulled), no colours so its summary can be read.
 * Everything else is gitlab-ci-local's default (artifacts copied back to the checkout, job
 * resources removed after each job, no concurrency limit).
 */
export const GITLAB_CI_LOCAL_ARGS: readonly string[] = [
  '--no-color',
  '--shell-executor-no-image=false',
  `--default-image=${RUNNER_IMAGES.dockerCli}`,
  `--helper-image=${GITLAB_CI_LOCAL_IMAGES.util}`,
  `--wait-image=${GITLAB_CI_LOCAL_IMAGES.wait}`,
  '--pull-policy=if-not-present',
];

/** A pipeline run of gitlab-ci-local, as the pipeline rows measure it. */
export interface GitlabCiLocalRun {
  readonly seconds: number;
  /** From the spawn to its first job's first line (`build  starting IMAGE (build)`). */
  readonly firstLineSeconds: number;
  /** Its first job lines by kind (`gitlabCiLocalFirstLines`). */
  readonly firstLines: FirstLines;
  /** Peak resident memory of the gitlab-ci-local process over the run, in bytes. */
  readonly peakRss: number;
  /** When each job started and ended, from its output (seconds from the spawn). */
  readonly jobs: Record<string, JobWindow>;
}

/**
 * Runs the whole pipeline with gitlab-ci-local in `projectDir`, with `home` as HOME (its
 * `~/.gitlab-ci-local`); returns the times, and throws unless every job ended as `expected`.
 */
export async function runGitlabCiLocal(
  binary: string,
  projectDir: string,
  home: string,
  expected: JobStates,
): Promise<GitlabCiLocalRun> {
  mkdirSync(home, { recursive: true });
  const watchers = {
    stdout: new FirstLineWatcher(isGitlabCiLocalJobStart),
    stderr: new FirstLineWatcher(isGitlabCiLocalJobStart),
  };
  let peakRss = 0;
  const run = await runTimed(binary, GITLAB_CI_LOCAL_ARGS, {
    cwd: projectDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    },
    timeoutMs: 15 * 60_000,
    mark: (chunk, stream) => watchers[stream].push(chunk),
    onSpawn: (pid) => {
      const sampler = new PeakMemorySampler([{ name: 'gitlab-ci-local', pid, wholeCgroup: false }]);
      return () => {
        peakRss = sampler.stop().get('gitlab-ci-local') ?? 0;
      };
    },
  });
  if (run.code !== 0) throw new Error(`gitlab-ci-local exited with ${run.code}: ${outputTail(run)}`);
  const output = `${run.stdout}\n${run.stderr}`;
  const mismatch = describeStateMismatch(gitlabCiLocalJobStates(output), expected);
  if (mismatch) throw new Error(`gitlab-ci-local: ${mismatch} (${outputTail(run)})`);
  if (run.markSeconds === undefined)
    throw new Error(`gitlab-ci-local printed no job start: ${outputTail(run)}`);
  return {
    seconds: run.seconds,
    firstLineSeconds: run.markSeconds,
    firstLines: gitlabCiLocalFirstLines(run.lines),
    peakRss,
    jobs: gitlabCiLocalJobWindows(run.lines),
  };
}
