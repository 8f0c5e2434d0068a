import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupCpuSeconds, processCpuSeconds } from '../test-support/cpu-usage.js';
import { finalStates, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

const execFileAsync = promisify(execFile);

/** How long the idle machine is watched. */
const SAMPLE_SECONDS = 60;
/**
 * Before the watch: what a pipeline's end sets off (its history pruned, the runner's last
 * requests, V8's memory reducer collecting the heaps of the daemon and the mock a few times after
 * they fall idle: about 0.1 s of CPU each, once) is over.
 */
const SETTLE_SECONDS = 30;
/** "0 % CPU": under a tenth of a percent of one core over the minute (60 ms of CPU time). */
const IDLE_SHARE = 0.001;
/** Past the settling and the sampled minute (the stop itself costs CPU), and soon after them. */
const IDLE_TIMEOUT = '120s';

/**
 * glci costs nothing while no pipeline runs, measured on the real thing: the daemon (started by
 * the CLI) and the mock and runner containers after a pipeline, each container's CPU read from
 * its cgroup (so a process that comes and goes between two looks, such as a health check, is
 * counted), the daemon's from /proc. Then the daemon's idle stop leaves no glci container running,
 * and the next pipeline starts them again.
 *
 * The CLI (and so the daemon it starts) is the built one, as users run it: from source, under tsx,
 * the daemon carries the loader's own work.
 */
let machine: RunMachine;
let project: string;
const builtCli = path.resolve(import.meta.dirname, '../../dist/bin.js');

/** `glci <args>` with the built CLI, as the machine's user. */
async function glci(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [builtCli, ...args],
      {
        cwd: project,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: machine.sandbox.home,
          DOCKER_CONFIG: machine.sandbox.dockerConfig,
          ...machine.env,
        },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const containerPid = async (role: string): Promise<number> => {
  const { stdout } = await execFileAsync('docker', [
    'ps',
    '-q',
    '--filter',
    `label=dev.glci.instance=${machine.instance}`,
    '--filter',
    `label=dev.glci.role=${role}`,
  ]);
  const id = stdout.trim().split('\n')[0];
  if (!id) throw new Error(`no running ${role} container`);
  return Number((await execFileAsync('docker', ['inspect', '--format', '{{.State.Pid}}', id])).stdout.trim());
};

const running = async () =>
  (
    await execFileAsync('docker', [
      'ps',
      '--filter',
      `label=dev.glci.instance=${machine.instance}`,
      '--format',
      '{{.Names}}',
    ])
  ).stdout
    .split('\n')
    .filter(Boolean);

beforeAll(async () => {
  if (!existsSync(builtCli))
    throw new Error(`this test runs the built CLI: ${builtCli} is missing (pnpm build)`);
  machine = await startRunMachine({ idleTimeout: IDLE_TIMEOUT });
  project = await machine.project('quickstart');
}, 600_000);

afterAll(async () => {
  await machine?.stop();
}, 300_000);

describe('glci while no pipeline runs', { timeout: 600_000 }, () => {
  it('uses no CPU for a minute: the daemon and the mock (its runner reported beside them)', async () => {
    const result = await glci(['run', '--context', 'branch=main', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(finalStates(result.stdout).build).toBe('success');
    const status = await glci(['daemon', 'status', '--json']);
    const daemon = (JSON.parse(status.stdout) as { pid: number }).pid;
    const mock = await containerPid('mock');
    const runner = await containerPid('runner');
    const ended = {
      daemon: processCpuSeconds(daemon)!,
      mock: cgroupCpuSeconds(mock),
      runner: cgroupCpuSeconds(runner),
    };
    await sleep(SETTLE_SECONDS * 1000);
    const before = {
      daemon: processCpuSeconds(daemon)!,
      mock: cgroupCpuSeconds(mock),
      runner: cgroupCpuSeconds(runner),
    };
    await sleep(SAMPLE_SECONDS * 1000);
    const used = {
      daemon: processCpuSeconds(daemon)! - before.daemon,
      mock: cgroupCpuSeconds(mock) - before.mock,
      runner: cgroupCpuSeconds(runner) - before.runner,
    };
    const share = Object.fromEntries(
      Object.entries(used).map(([name, seconds]) => [
        name,
        `${((seconds / SAMPLE_SECONDS) * 100).toFixed(3)} %`,
      ]),
    );
    const settling = Object.fromEntries(
      Object.entries(before).map(([name, seconds]) => [
        name,
        `${((seconds - ended[name as keyof typeof ended]) * 1000).toFixed(0)} ms`,
      ]),
    );
    console.info(`CPU in the ${SETTLE_SECONDS} s after the pipeline's end:`, settling);
    console.info(`CPU over the next ${SAMPLE_SECONDS} s (of one core):`, share);
    expect(used.daemon / SAMPLE_SECONDS, `daemon ${share.daemon}`).toBeLessThan(IDLE_SHARE);
    expect(used.mock / SAMPLE_SECONDS, `mock ${share.mock}`).toBeLessThan(IDLE_SHARE);
    // The runner's own timers (its config watch, its job poll loop): small, not glci's to remove.
    expect(used.runner / SAMPLE_SECONDS, `runner ${share.runner}`).toBeLessThan(0.01);
  });

  it("leaves no glci container running after the daemon's idle stop, and the next pipeline starts them again", async () => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const status = await glci(['daemon', 'status', '--json']);
      if (!(JSON.parse(status.stdout) as { running?: boolean }).running) break;
      if (Date.now() > deadline) throw new Error('the daemon did not stop for idleness');
      await sleep(2_000);
    }
    expect(await running()).toEqual([]);
    const result = await glci(['run', '--context', 'branch=main', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(finalStates(result.stdout).build).toBe('success');
    expect((await running()).length).toBeGreaterThanOrEqual(2);
  });
});
