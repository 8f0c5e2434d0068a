import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { type RunningPodman, startPodman } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalStates, jobLog, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

/**
 * `glci run` on Podman through its Docker-compatible API socket (Debian's podman 4.3, rootful, its
 * own storage and socket: `startPodman`), as `[docker] host = "unix://…/podman.sock"` names it:
 * glci's images are sent into Podman's store (it has its own), the runner container mounts
 * Podman's socket, and jobs reach the mock as `host.docker.internal` through the bridge gateway
 * (Podman has no `host-gateway`). The local dockerd gets none of glci's containers.
 */
let machine: RunMachine;
let podman: RunningPodman;

beforeAll(async () => {
  machine = await startRunMachine();
  podman = await startPodman();
  appendFileSync(
    path.join(machine.sandbox.glciHome, 'config.toml'),
    ['[docker]', `host = "${podman.host}"`, ''].join('\n'),
  );
}, 600_000);

afterAll(async () => {
  await machine?.stop();
  await podman?.stop();
}, 300_000);

describe('glci run on Podman', { timeout: 900_000 }, () => {
  it('runs the quickstart on Podman', async () => {
    const project = await machine.project('quickstart');
    const result = await machine.glci(['run', '--context', 'branch=main', '--json'], project);
    expect(result.code, `${result.stderr}\n${result.stdout.slice(-4000)}`).toBe(0);
    expect(finalStates(result.stdout)).toEqual({
      build: 'success',
      test: 'success',
      spellcheck: 'failed (allowed)',
      report: 'success',
    });
    expect(jobLog(result.stdout, 'test')).toContain('tested the output of job');
    const containers = await podman.podman(['ps', '-a', '--format', '{{.Names}}']);
    expect(containers).toContain(`runner-${machine.instance}`);
  });
});
