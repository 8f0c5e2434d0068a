import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTcpLink, startTlsDockerHost, type TcpLink, type TlsDockerHost } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followOutput } from '../test-support/follow-output.js';
import { type RunMachine, startRunMachine } from '../test-support/glci-run.js';

/**
 * Crash recovery and a lost engine on a remote Docker host: the TLS "remote" of
 * `startTlsDockerHost` (a dockerd in a privileged container, reached only over TLS), with a TCP
 * link in front of its port that the test cuts and mends, as the network between a laptop and
 * its build host goes down and comes back. The cut is made in the network, not in glci: the
 * engine, the mock, the runner and the job go on running on the remote while it lasts.
 */
let machine: RunMachine;
let remote: TlsDockerHost;
let link: TcpLink;
let project: string;
let configFile: string;

const CI = [
  'stages: [work, after]',
  'slow:',
  '  stage: work',
  '  script:',
  '    - echo "started $CI_JOB_ID"',
  '    - for i in $(seq 1 $TICKS); do echo "tick $i"; sleep 1; done',
  'done:',
  '  stage: after',
  '  script: ["echo all done"]',
  '',
].join('\n');

/** The user's `[docker]` table: the remote through the link, waiting `reconnectTimeout` for it. */
function useRemote(reconnectTimeout: string): void {
  const base = readFileSync(configFile, 'utf8').split('\n[docker]\n')[0]!;
  writeFileSync(
    configFile,
    [
      base,
      '[docker]',
      `host = "tcp://${link.address}"`,
      `tls_cert_path = "${remote.client.dir}"`,
      // The fixture's dockerd cannot start privileged containers on this machine (see
      // run-remote.docker.test.ts); these jobs need none.
      'privileged = false',
      `reconnect_timeout = "${reconnectTimeout}"`,
      '',
    ].join('\n'),
  );
}

beforeAll(async () => {
  machine = await startRunMachine();
  remote = await startTlsDockerHost();
  link = await startTcpLink({
    host: '127.0.0.1',
    port: Number(new URL(remote.host.replace('tcp:', 'http:')).port),
  });
  configFile = path.join(machine.sandbox.glciHome, 'config.toml');
  useRemote('3m');
  project = await machine.projectFrom('remote-recovery', { '.gitlab-ci.yml': CI });
}, 600_000);

afterAll(async () => {
  await link?.mend();
  await machine?.stop();
  await link?.close();
  await remote?.remove();
}, 300_000);

async function daemonPid(): Promise<number> {
  const status = await machine.glci(['daemon', 'status', '--json'], project);
  return (JSON.parse(status.stdout) as { pid: number }).pid;
}

function expectEveryTickOnce(stdout: string, ticks: readonly number[]): void {
  for (const tick of ticks)
    expect(stdout.match(new RegExp(`\\| tick ${tick}\\n`, 'g')), `tick ${tick}`).toHaveLength(1);
}

describe('glci run on a remote engine when things break', { timeout: 900_000 }, () => {
  it('carries on after the daemon is killed mid-job: the new daemon takes the pipeline over on the remote', async () => {
    const run = followOutput(
      machine.spawnGlci(['run', '--context', 'branch=main', '--env', 'TICKS=12'], project),
    );
    await run.until('tick 3');
    const pid = await daemonPid();
    process.kill(pid, 'SIGKILL');
    const code = await run.exited;
    const { stdout, stderr } = run.output();
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('lost the daemon');
    expectEveryTickOnce(stdout, [1, 6, 12]);
    expect(stdout).toMatch(/done +\| all done/);
    expect(stdout).toMatch(/pipeline #\d+ success/);
    expect(await daemonPid()).not.toBe(pid);
    const log = await machine.glci(['log', 'slow'], project);
    expect(log.stdout).toContain('tick 12');
  });

  it('takes the pipeline over when the engine is back after the connection to it was cut mid-job', async () => {
    const pid = await daemonPid();
    const run = followOutput(
      machine.spawnGlci(['run', '--context', 'branch=main', '--env', 'TICKS=40'], project),
    );
    await run.until('tick 3');
    await link.cut();
    // Noticed by the daemon's engine watch, which says so to `glci run`.
    await run.until('lost the connection to the Docker engine');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await link.mend();
    const code = await run.exited;
    const { stdout, stderr } = run.output();
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain(`lost the connection to the Docker engine (tcp://${link.address}: connect:`);
    expect(stdout).toContain(`the Docker engine tcp://${link.address} is back`);
    // The job ran on on the remote meanwhile; its whole log arrived, each line once.
    expectEveryTickOnce(stdout, [1, 20, 40]);
    expect(stdout).toMatch(/done +\| all done/);
    expect(stdout).toMatch(/pipeline #\d+ success/);
    // The same daemon: no restart, no "lost the daemon".
    expect(stdout).not.toContain('lost the daemon');
    expect(await daemonPid()).toBe(pid);
    expect((await machine.glci(['log', 'slow'], project)).stdout).toContain('tick 40');
  });

  it('fails the pipeline with the reason when the engine stays gone, instead of hanging', async () => {
    useRemote('15s');
    const run = followOutput(
      machine.spawnGlci(['run', '--context', 'branch=main', '--env', 'TICKS=300'], project),
    );
    await run.until('tick 3');
    const cutAt = Date.now();
    await link.cut();
    const code = await run.exited;
    const waited = Date.now() - cutAt;
    const { stdout, stderr } = run.output();
    expect(code, `${stdout}\n${stderr}`).toBe(1);
    expect(stdout).toContain(
      `lost the connection to the Docker engine, and it did not come back within 15s ([docker] reconnect_timeout): tcp://${link.address}: connect:`,
    );
    expect(stdout).toMatch(/pipeline #\d+ failed/);
    expect(`${stdout}\n${stderr}`).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    // Noticed (3 probes 5 s apart), then 15 s of waiting: well within a minute and a half.
    expect(waited).toBeLessThan(90_000);
    const report = JSON.parse((await machine.glci(['log', '--json'], project)).stdout) as {
      pipeline: { status: string; jobs: { name: string; status: string; failureReason?: string }[] };
    };
    expect(report.pipeline.status).toBe('failed');
    await link.mend();
  });
});
