import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalStates, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

/**
 * `[docker] privileged` and `[docker] container_socket` in a real `glci run` on the local engine:
 * a DinD job under `privileged = false` is refused before anything starts, naming the setting; the
 * runner container mounts the socket `container_socket` names; a socket that is not there is
 * refused before the mock or a runner starts, naming the setting.
 */
const execFileAsync = promisify(execFile);
let machine: RunMachine;
let configFile: string;
let baseConfig: string;

/** glci's containers of this machine's instance on the local engine. */
async function glciContainers(): Promise<string[]> {
  const { stdout } = await execFileAsync('docker', [
    'ps',
    '-a',
    '--filter',
    `label=dev.glci.instance=${machine.instance}`,
    '--format',
    '{{.Names}}',
  ]);
  return stdout.split('\n').filter(Boolean);
}

function useDocker(lines: readonly string[]): void {
  writeFileSync(configFile, [baseConfig, '[docker]', ...lines, ''].join('\n'));
}

beforeAll(async () => {
  machine = await startRunMachine();
  configFile = path.join(machine.sandbox.glciHome, 'config.toml');
  baseConfig = readFileSync(configFile, 'utf8');
}, 600_000);

afterAll(async () => {
  await machine?.stop();
}, 300_000);

describe('glci run with [docker] privileged and container_socket', { timeout: 600_000 }, () => {
  it('refuses a Docker-in-Docker job under privileged = false before anything starts', async () => {
    useDocker(['privileged = false']);
    const project = await machine.projectFrom('dind-unprivileged', {
      '.gitlab-ci.yml': [
        'build-image:',
        '  image: docker:27',
        '  services: ["docker:27-dind"]',
        '  script: ["docker info"]',
        'unit:',
        '  script: ["echo fine"]',
        '',
      ].join('\n'),
    });
    const result = await machine.glci(['run', '--context', 'branch=main'], project);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `job "build-image" (service docker:27-dind) needs Docker-in-Docker, which runs only in privileged containers, and [docker] privileged = false in ${configFile}: nothing was started`,
    );
    expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    // Not the mock, not a runner, not a job.
    expect(await glciContainers()).toEqual([]);
  });

  it('refuses a container_socket that is not on the Docker host before the mock or a runner starts', async () => {
    const missing = path.join(machine.sandbox.home, 'no-such-dir', 'docker.sock');
    useDocker([`container_socket = "${missing}"`]);
    const project = await machine.projectFrom('socket-missing', {
      '.gitlab-ci.yml': 'hello:\n  script: ["echo hello"]\n',
    });
    const result = await machine.glci(['run', '--context', 'branch=main'], project);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `[docker] container_socket = "${missing}": no such path on the Docker host unix:///var/run/docker.sock`,
    );
    expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(await glciContainers()).toEqual([]);
    // The pipeline that could not start is in the history as failed, with the reason.
    const report = JSON.parse((await machine.glci(['log', '--json'], project)).stdout) as {
      pipeline: { status: string };
    };
    expect(report.pipeline.status).toBe('failed');
  });

  it('mounts the socket container_socket names into the runner, and jobs run through it', async () => {
    // Another path to this engine's socket: a link, as a host whose socket lives elsewhere.
    const dir = path.join(machine.sandbox.home, 'engine');
    mkdirSync(dir, { recursive: true });
    const socket = path.join(dir, 'docker.sock');
    symlinkSync('/var/run/docker.sock', socket);
    useDocker([`container_socket = "${socket}"`]);
    const project = await machine.projectFrom('socket-elsewhere', {
      '.gitlab-ci.yml': 'hello:\n  script: ["echo hello through $CI_RUNNER_DESCRIPTION"]\n',
    });
    const result = await machine.glci(['run', '--context', 'branch=main', '--json'], project);
    expect(result.code, `${result.stderr}\n${result.stdout.slice(-3000)}`).toBe(0);
    expect(finalStates(result.stdout)).toEqual({ hello: 'success' });
    const { stdout } = await execFileAsync('docker', [
      'inspect',
      `glci-${machine.instance}-runner-${machine.instance}`,
      '--format',
      '{{range .Mounts}}{{if eq .Destination "/var/run/docker.sock"}}{{.Source}}{{end}}{{end}}',
    ]);
    expect(stdout.trim()).toBe(socket);
  });
});
