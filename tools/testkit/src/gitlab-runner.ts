import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ManagedProcess, spawnManaged } from './processes.js';

const execFileAsync = promisify(execFile);

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** The runner version scripts/peers.sh builds from the shared source snapshot. */
export const GITLAB_RUNNER_VERSION = '17.9.0';

/**
 * The locally built images the Docker-executor tests use (scripts/build-runner-images.sh): they
 * stand in for the published `gitlab/gitlab-runner`, its helper image and `docker:dind`, which
 * cannot be pulled on these machines.
 */
export const RUNNER_IMAGES = {
  runner: `glci-test/gitlab-runner:v${GITLAB_RUNNER_VERSION}-local`,
  helper: `glci-test/gitlab-runner-helper:x86_64-v${GITLAB_RUNNER_VERSION}-local`,
  dind: 'glci-test/dind:20.10-local',
  dockerCli: 'glci-test/docker-cli:20.10-local',
  httpService: 'glci-test/http-service:1',
} as const;

/**
 * The `~/.glci/config.toml` lines that point `glci run` at RUNNER_IMAGES: the runner and helper
 * images, and the docker-cli image for jobs that name none (scripts/first-config.sh writes the
 * same for a user of this machine).
 */
export const LOCAL_RUNNER_CONFIG_LINES: readonly string[] = [
  '[runner]',
  `image = "${RUNNER_IMAGES.runner}"`,
  `helper_image = "${RUNNER_IMAGES.helper}"`,
  '',
  '[defaults]',
  `image = "${RUNNER_IMAGES.dockerCli}"`,
  '',
];

/**
 * The official gitlab-runner binary built by scripts/peers.sh (`.peers/bin/gitlab-runner`).
 * Throws, never skips, when it is missing: in CI that is a broken install step.
 */
export function requireGitlabRunner(): string {
  const binary = path.join(repoRoot, '.peers/bin/gitlab-runner');
  if (!existsSync(binary)) {
    throw new Error(
      `these tests need the official gitlab-runner ${GITLAB_RUNNER_VERSION} at ${binary}: run scripts/peers.sh (it builds it from ../shared/gitlab-runner)`,
    );
  }
  return binary;
}

/**
 * Runs a `gitlab-runner` subcommand (register, verify, unregister, …) and returns what it printed
 * on stdout and stderr (the runner logs its results on stderr); a non-zero exit throws.
 */
export async function gitlabRunnerCommand(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(requireGitlabRunner(), [...args], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string; code?: number | string };
    throw new Error(
      `gitlab-runner ${args[0]} failed (${String(failure.code)}): ${`${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message}`,
    );
  }
}

export interface RunningGitlabRunner extends AsyncDisposable {
  /** The `config.toml` the runner reads (rewrite it to reload; the runner checks every 3 s). */
  readonly configPath: string;
  /** The runner's working directory (builds and caches of the shell executor live below it). */
  readonly workDir: string;
  readonly process: ManagedProcess;
  /** The runner's log so far (last 20 kB). */
  output(): string;
  /** SIGQUIT (graceful: running jobs finish), then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * `gitlab-runner run` as a host process with the given `config.toml` (the shell executor runs its
 * jobs as children of it; the Docker executor talks to the host's dockerd).
 */
export async function startGitlabRunner(configToml: string): Promise<RunningGitlabRunner> {
  const binary = requireGitlabRunner();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'glci-runner-'));
  const configPath = path.join(workDir, 'config.toml');
  await writeFile(configPath, configToml, { mode: 0o600 });
  const child = spawnManaged(binary, ['run', '--config', configPath, '--working-directory', workDir], {
    ...process.env,
    HOME: workDir,
  });
  let stopped: Promise<void> | undefined;
  const stop = (timeoutMs = 15_000) => {
    stopped ??= (async () => {
      const timer = setTimeout(() => void child.kill('SIGKILL'), timeoutMs);
      try {
        await child.kill('SIGQUIT');
      } finally {
        clearTimeout(timer);
        await rm(workDir, { recursive: true, force: true });
      }
    })();
    return stopped;
  };
  return {
    configPath,
    workDir,
    process: child,
    output: () => child.output(),
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
}
