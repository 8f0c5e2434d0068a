import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followOutput } from '../test-support/follow-output.js';
import { events, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

/**
 * `glci run` when things stop: Ctrl-C (graceful, then forced), a daemon killed with SIGKILL in
 * the middle of a job, what `glci system prune` leaves afterwards, and the history's bound.
 */
let machine: RunMachine;
let project: string;

const CI = [
  'stages: [work, after]',
  'slow:',
  '  stage: work',
  '  script:',
  '    - echo "started $CI_JOB_ID"',
  '    - for i in $(seq 1 $TICKS); do echo "tick $i"; sleep 1; done',
  '  after_script:',
  '    - echo "after_script ran ($CI_JOB_STATUS)"',
  'done:',
  '  stage: after',
  '  script: ["echo all done"]',
  '',
].join('\n');

beforeAll(async () => {
  machine = await startRunMachine();
  project = await machine.projectFrom('lifecycle', { '.gitlab-ci.yml': CI });
}, 600_000);

afterAll(async () => {
  await machine?.stop();
}, 300_000);

describe('glci run when interrupted', { timeout: 600_000 }, () => {
  it('cancels gracefully on Ctrl-C: the script stops, after_script runs, the pipeline is canceled', async () => {
    const child = machine.spawnGlci(['run', '--context', 'branch=main', '--env', 'TICKS=120'], project);
    const run = followOutput(child);
    await run.until('tick 2');
    child.kill('SIGINT');
    const code = await run.exited;
    const { stdout } = run.output();
    expect(code).toBe(1);
    expect(stdout).toContain('canceling the pipeline (Ctrl-C again to force)');
    expect(stdout).toContain('after_script ran (canceled)');
    expect(stdout).not.toContain('tick 60');
    expect(stdout).toMatch(/done +○|done +⊘/);
    expect(stdout).toMatch(/pipeline #\d+ canceled/);
  });

  it('cancels at once on a second Ctrl-C, without after_script', async () => {
    const child = machine.spawnGlci(['run', '--context', 'branch=main', '--env', 'TICKS=120'], project);
    const run = followOutput(child);
    await run.until('tick 2');
    child.kill('SIGINT');
    await run.until('canceling the pipeline (Ctrl-C');
    child.kill('SIGINT');
    const code = await run.exited;
    const { stdout } = run.output();
    expect(code).toBe(1);
    expect(stdout).toContain('canceling the pipeline now (forced)');
    expect(stdout).not.toContain('after_script ran');
    expect(stdout).toMatch(/pipeline #\d+ canceled/);
  });

  it('stops from another terminal with glci stop: after_script runs, both commands report it canceled', async () => {
    const child = machine.spawnGlci(['run', '--context', 'branch=main', '--env', 'TICKS=120'], project);
    const run = followOutput(child);
    await run.until('tick 2');
    const stop = await machine.glci(['stop', '--json'], project);
    expect(stop.code, stop.stderr).toBe(0);
    const { stopped } = JSON.parse(stop.stdout) as { stopped: { id: number; status: string }[] };
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.status).toBe('canceled');
    const code = await run.exited;
    const { stdout } = run.output();
    expect(code).toBe(1);
    expect(stdout).toContain('after_script ran (canceled)');
    expect(stdout).toContain(`pipeline #${stopped[0]!.id} canceled`);
    // Nothing left to stop; a finished pipeline by id is reported, not an error.
    const nothing = await machine.glci(['stop'], project);
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toContain('no pipeline of');
    const finished = await machine.glci(['stop', String(stopped[0]!.id)], project);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stdout).toContain('has already finished: canceled');
  });

  it('carries on after the daemon is killed mid-job: the new daemon takes the pipeline over', async () => {
    const child = machine.spawnGlci(['run', '--context', 'branch=main', '--env', 'TICKS=12'], project);
    const run = followOutput(child);
    await run.until('tick 3');
    const status = JSON.parse((await machine.glci(['daemon', 'status', '--json'], project)).stdout) as {
      pid: number;
    };
    process.kill(status.pid, 'SIGKILL');
    const code = await run.exited;
    const { stdout, stderr } = run.output();
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('lost the daemon');
    // Every tick once, the job and the next stage done, by the new daemon.
    for (const tick of [1, 6, 12])
      expect(stdout.match(new RegExp(`\\| tick ${tick}\\n`, 'g'))).toHaveLength(1);
    expect(stdout).toMatch(/done +\| all done/);
    expect(stdout).toMatch(/pipeline #\d+ success/);
    const after = JSON.parse((await machine.glci(['daemon', 'status', '--json'], project)).stdout) as {
      pid: number;
    };
    expect(after.pid).not.toBe(status.pid);
    // The history has the whole log of the job that ran through the restart.
    const log = await machine.glci(['log', 'slow'], project);
    expect(log.stdout).toContain('tick 12');
  });

  it('prunes only what it must: the registry, cache and mock data survive a plain prune', async () => {
    const prune = await machine.glci(['system', 'prune', '--force', '--instance', machine.instance], project);
    expect(prune.code, prune.stderr).toBe(0);
    const volumes = JSON.parse(
      (await machine.glci(['system', 'docker', 'volumes', '--instance', machine.instance, '--json'], project))
        .stdout,
    ) as { name: string }[];
    const names = volumes.map((volume) => volume.name);
    for (const kept of ['registry', 'registry-ca', 'cache']) {
      expect(names).toContain(`glci-${machine.instance}-${kept}`);
    }
    // The running mock and runner are not stopped containers: a plain prune keeps them.
    const containers = JSON.parse(
      (
        await machine.glci(
          ['system', 'docker', 'containers', '--instance', machine.instance, '--json'],
          project,
        )
      ).stdout,
    ) as { name: string }[];
    expect(containers.map((container) => container.name).sort()).toEqual(
      [`glci-${machine.instance}-mock`, `glci-${machine.instance}-runner-${machine.instance}`].sort(),
    );
  });

  it('keeps the newest [history] keep_last pipelines of a project and removes older ones when one ends', async () => {
    const quick = await machine.projectFrom('history', {
      '.gitlab-ci.yml': 'hello:\n  script: ["echo hello"]\n',
    });
    // Read again for every pipeline: no daemon restart needed.
    appendFileSync(path.join(machine.sandbox.glciHome, 'config.toml'), '\n[history]\nkeep_last = 2\n');
    const ids: number[] = [];
    for (let round = 0; round < 3; round++) {
      const result = await machine.glci(['run', '--json'], quick);
      expect(result.code, result.stderr).toBe(0);
      ids.push(Number(events(result.stdout).find((event) => event.type === 'pipeline')?.pipelineId));
    }
    const [oldest, ...kept] = ids;
    const log = (id: number | undefined) => machine.glci(['log', String(id)], quick);
    const gone = await log(oldest);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain(`pipeline ${oldest} is not in the history`);
    for (const id of kept) expect((await log(id)).code, `pipeline ${id}`).toBe(0);
  });
});
