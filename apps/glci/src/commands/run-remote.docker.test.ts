import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTlsDockerHost, type TlsDockerHost } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalStates, jobLog, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

/**
 * `glci run` against a remote Docker host: a dockerd in a privileged container of the local engine
 * (`startTlsDockerHost`), reached only over TLS on a loopback port with a client certificate, as
 * `[docker] host` + `tls_cert_path` name it. glci sends the images built here (mock, runner,
 * helper, the jobs' default image) over the Engine API, starts everything in that dockerd, and
 * reaches the mock through `docker exec` (its port is on that host's loopback). The local engine
 * gets none of glci's containers.
 */
const execFileAsync = promisify(execFile);
let machine: RunMachine;
let remote: TlsDockerHost;

/** glci's containers of this machine's instance on the local engine. */
async function localGlciContainers(): Promise<string[]> {
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

/** The same on the remote engine, through its TLS endpoint. */
async function remoteGlciContainers(): Promise<string[]> {
  const { stdout } = await execFileAsync(
    'docker',
    ['ps', '-a', '--filter', `label=dev.glci.instance=${machine.instance}`, '--format', '{{.Names}}'],
    {
      env: {
        ...process.env,
        DOCKER_HOST: remote.host,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: remote.client.dir,
      },
    },
  );
  return stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  machine = await startRunMachine();
  remote = await startTlsDockerHost();
  appendFileSync(
    path.join(machine.sandbox.glciHome, 'config.toml'),
    [
      '[docker]',
      `host = "${remote.host}"`,
      `tls_cert_path = "${remote.client.dir}"`,
      // A privileged container cannot start inside the fixture's dockerd on this machine ("runc
      // create failed: unable to apply caps"; the local engine needs scripts/services.sh's runc
      // wrapper for that). The quickstart needs none: no Docker-in-Docker.
      'privileged = false',
      '',
    ].join('\n'),
  );
}, 600_000);

afterAll(async () => {
  await machine?.stop();
  await remote?.remove();
}, 300_000);

describe('glci run on a remote Docker host over TLS', { timeout: 900_000 }, () => {
  it('runs the quickstart there, the local engine untouched', async () => {
    const before = await localGlciContainers();
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
    // Everything ran in the remote dockerd: the mock and the runner are there, not here.
    expect(before).toEqual([]);
    expect(await localGlciContainers()).toEqual([]);
    const there = await remoteGlciContainers();
    expect(there.some((name) => name.endsWith('-mock') || name.includes('mock'))).toBe(true);
    expect(there.some((name) => name.includes(`runner-${machine.instance}`))).toBe(true);
  });
});
