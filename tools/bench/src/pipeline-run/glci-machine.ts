import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PipelineTimings } from '@glci/daemon';
import { freePort, LOCAL_RUNNER_CONFIG_LINES, MOCK_IMAGE } from '@glci/testkit';
import {
  containerPid,
  leftoverObjects,
  removeRunnerObjects,
  runnerIdsFromFleetFile,
  runningObjects,
} from './docker-objects.js';
import type { MemoryTarget } from './process-memory.js';
import {
  describeStateMismatch,
  type FirstLines,
  FirstLineWatcher,
  glciFirstLines,
  glciJobStates,
  glciPipelineId,
  isGlciTraceLine,
  type JobStates,
} from './run-output.js';
import { outputTail, runTimed } from './run-timed.js';

const execFileAsync = promisify(execFile);

/** A pipeline that takes longer than this has hung. */
const RUN_TIMEOUT_MS = 15 * 60_000;

export interface GlciPipelineRun {
  readonly seconds: number;
  /** From spawning `glci run` to its first job output line on stdout (a `live` or `trace` event). */
  readonly firstTraceSeconds: number;
  /** Its first job lines by kind (`glciFirstLines`): where the time to the first line went. */
  readonly firstLines: FirstLines;
  readonly pipelineId: number;
}

/**
 * A user's machine for `glci run` as the pipeline rows see it, brand new: HOME (with `~/.glci`, no
 * daemon, no pipeline history) and a GLCI_INSTANCE of its own (its own mock and runner containers,
 * volumes and port, none of them there yet). The config points the runner at the locally built
 * images and the jobs' default image at the docker-cli test image, as the e2e tests do; there is
 * no pull-through upstream, as every image is local.
 */
export interface GlciMachine {
  readonly instance: string;
  readonly home: string;
  /** `glci run --context branch=main --json` in `projectDir`; throws unless every job ends as `expected`. */
  run(projectDir: string, expected: JobStates): Promise<GlciPipelineRun>;
  /** `glci log --timings --json PIPELINE`: where a run's time went. */
  timings(projectDir: string, pipelineId: number): Promise<PipelineTimings>;
  /**
   * `glci daemon stop`, as its idle stop does it (a graceful stop); returns the instance's
   * containers still running afterwards (should be none).
   */
  stopDaemon(): Promise<string[]>;
  /**
   * What to sample for memory: the daemon process, and the mock's and the runner's containers
   * (every process in each); those not running now are left out.
   */
  memoryTargets(): Promise<MemoryTarget[]>;
  /**
   * Stops the daemon (cancelling anything running), prunes everything of the instance, removes
   * what the runner made, deletes HOME; returns what was still left (should be nothing).
   */
  dispose(): Promise<string[]>;
}

export async function createGlciMachine(options: { cliPath: string; root: string }): Promise<GlciMachine> {
  const instance = `bench${Math.random().toString(36).slice(2, 8)}`;
  const home = path.join(options.root, 'home');
  const glciHome = path.join(home, '.glci');
  const dockerConfig = path.join(options.root, 'docker-config');
  for (const dir of [glciHome, dockerConfig]) mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(glciHome, 'config.toml'),
    [
      ...LOCAL_RUNNER_CONFIG_LINES,
      // The mock image `preparePipelineImages` built from this checkout (the default,
      // glci-mock:local, is whatever was built last on the machine, from any checkout).
      '[mock]',
      `image = "${MOCK_IMAGE}"`,
      '',
      '[network]',
      `mock_server_port = ${await freePort()}`,
      '',
    ].join('\n'),
  );
  // Nothing of the bench's own environment (GLCI_HOME, a DOCKER_CONFIG with contexts) leaks in.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    DOCKER_CONFIG: dockerConfig,
    GLCI_INSTANCE: instance,
    NO_COLOR: '1',
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
  };
  const glci = (args: readonly string[], cwd = home) =>
    execFileAsync(process.execPath, [options.cliPath, ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  const fleetFile = path.join(glciHome, `runner-fleet-${instance}.json`);
  const readFleetFile = () => {
    try {
      return readFileSync(fleetFile, 'utf8');
    } catch {
      return undefined;
    }
  };
  let runnerIds: string[] = [];

  return {
    instance,
    home,
    async run(projectDir, expected) {
      const watcher = new FirstLineWatcher(isGlciTraceLine);
      const run = await runTimed(
        process.execPath,
        [options.cliPath, 'run', '--context', 'branch=main', '--json'],
        {
          cwd: projectDir,
          env,
          timeoutMs: RUN_TIMEOUT_MS,
          mark: (chunk, stream) => stream === 'stdout' && watcher.push(chunk),
        },
      );
      runnerIds = [...new Set([...runnerIds, ...runnerIdsFromFleetFile(readFleetFile())])];
      if (run.code !== 0) throw new Error(`glci run exited with ${run.code}: ${outputTail(run)}`);
      const mismatch = describeStateMismatch(glciJobStates(run.stdout), expected);
      if (mismatch) throw new Error(`glci run: ${mismatch}`);
      if (run.markSeconds === undefined) throw new Error('glci run printed no job trace');
      const pipelineId = glciPipelineId(run.stdout);
      if (pipelineId === undefined) throw new Error('glci run printed no pipeline event');
      return {
        seconds: run.seconds,
        firstTraceSeconds: run.markSeconds,
        firstLines: glciFirstLines(run.lines),
        pipelineId,
      };
    },
    async timings(projectDir, pipelineId) {
      const { stdout } = await glci(['log', '--timings', '--json', String(pipelineId)], projectDir);
      return JSON.parse(stdout) as PipelineTimings;
    },
    async stopDaemon() {
      await glci(['daemon', 'stop', '--timeout', '2m']);
      return runningObjects(instance);
    },
    async memoryTargets() {
      const status = JSON.parse((await glci(['daemon', 'status', '--json'])).stdout) as { pid?: number };
      const [mock, runner] = await Promise.all([
        containerPid(instance, 'mock'),
        containerPid(instance, 'runner'),
      ]);
      const targets: MemoryTarget[] = [];
      if (status.pid !== undefined)
        targets.push({ name: 'glci daemon', pid: status.pid, wholeCgroup: false });
      if (mock !== undefined) targets.push({ name: 'mock container', pid: mock, wholeCgroup: true });
      if (runner !== undefined) targets.push({ name: 'runner container', pid: runner, wholeCgroup: true });
      return targets;
    },
    async dispose() {
      runnerIds = [...new Set([...runnerIds, ...runnerIdsFromFleetFile(readFleetFile())])];
      const daemon = await glci(['daemon', 'status', '--json'])
        .then(({ stdout }) => (JSON.parse(stdout) as { pid?: number }).pid)
        .catch(() => undefined);
      await glci(['daemon', 'stop', '--force', '--timeout', '2m']).catch(() => undefined);
      // A daemon that did not stop would hold the instance's containers: it is this machine's own.
      if (daemon !== undefined && commandLine(daemon).includes(options.cliPath))
        process.kill(daemon, 'SIGKILL');
      await glci(['system', 'prune', '--all', '--force', '--instance', instance]).catch(() => undefined);
      await removeRunnerObjects(runnerIds).catch(() => undefined);
      const left = await leftoverObjects(instance, runnerIds).catch((error: Error) => [
        `(could not list: ${error.message})`,
      ]);
      rmSync(options.root, { recursive: true, force: true });
      return left;
    },
  };
}

/** A process's command line, empty once it is gone. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
