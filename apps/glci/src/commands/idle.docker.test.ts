import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupCpuSeconds, processCpuSeconds } from '../test-support/cpu-usage.js';
import { finalStates, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

const execFileAsync = promisify(execFile);

/** How long the idle machine is watched. */
const SAMPLE_SECONDS = 60;
/** "0 % CPU": under a tenth of a percent of one core over the minute (60 ms of CPU time). */
const IDLE_SHARE = 0.001;
/** Short enough that the idle stop comes soon after the sampling minute. */
const IDLE_TIMEOUT = '80s';

/**
 * glci costs nothing while no pipeline runs, measured on the real thing: the daemon (started by
 * the CLI) and the mock and runner containers after a pipeline, each container's CPU read from
 * its cgroup (so a process that comes and goes between two looks, such as a health check, is
 * counted), the daemon's from /proc. Then the daemon's idle stop leaves no glci container running,
 * and the next pipeline starts them again.
 */
let machine: RunMachine;
let project: string;

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
  machine = await startRunMachine({ idleTimeout: IDLE_TIMEOUT });
  project = await machine.project('quickstart');
}, 600_000);

afterAll(async () => {
  await machine?.stop();
}, 300_000);

describe('glci while no pipeline runs', { timeout: 600_000 }, () => {
  it('uses no CPU for a minute: the daemon and the mock (its runner reported beside them)', async () => {
    const result = await machine.glci(['run', '--context', 'branch=main', '--json'], project);
    expect(result.code, result.stderr).toBe(0);
    expect(finalStates(result.stdout).build).toBe('success');
    const status = await machine.glci(['daemon', 'status', '--json'], project);
    const daemon = (JSON.parse(status.stdout) as { pid: number }).pid;
    const mock = await containerPid('mock');
    const runner = await containerPid('runner');
    // Let what the pipeline's end set off settle (history pruning, the runner's last requests).
    await sleep(3_000);
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
      Object.entries(used).map(([name, seconds]) => [name, `${((seconds / SAMPLE_SECONDS) * 100).toFixed(3)} %`]),
    );
    console.info(`CPU over ${SAMPLE_SECONDS} s with no pipeline (of one core):`, share);
    expect(used.daemon / SAMPLE_SECONDS, `daemon ${share.daemon}`).toBeLessThan(IDLE_SHARE);
    expect(used.mock / SAMPLE_SECONDS, `mock ${share.mock}`).toBeLessThan(IDLE_SHARE);
    // The runner's own timers (its config watch, its job poll loop): small, not glci's to remove.
    expect(used.runner / SAMPLE_SECONDS, `runner ${share.runner}`).toBeLessThan(0.01);
  });

  it("leaves no glci container running after the daemon's idle stop, and the next pipeline starts them again", async () => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const status = await machine.glci(['daemon', 'status', '--json'], project);
      if (!(JSON.parse(status.stdout) as { running?: boolean }).running) break;
      if (Date.now() > deadline) throw new Error('the daemon did not stop for idleness');
      await sleep(2_000);
    }
    expect(await running()).toEqual([]);
    const result = await machine.glci(['run', '--context', 'branch=main', '--json'], project);
    expect(result.code, result.stderr).toBe(0);
    expect(finalStates(result.stdout).build).toBe('success');
    expect((await running()).length).toBeGreaterThanOrEqual(2);
  });
});
