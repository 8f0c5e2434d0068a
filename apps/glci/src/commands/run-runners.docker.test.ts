import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, finalStates, jobLog, type RunMachine, startRunMachine } from '../test-support/glci-run.js';

/**
 * Runners as configured (`[runners.NAME]`, `[projects."group/proj".runners.NAME]`) with `glci run`:
 * the official runner takes each job on the runner GitLab would give it (all the job's tags), and
 * the trace's "on NAME" line says which one did. A job whose tags no runner has stays pending with
 * a message naming them and the config that would serve it, and fails as stuck once nothing else
 * is left; `--any-runner` runs it on the shared runner.
 */
const execFileAsync = promisify(execFile);
let machine: RunMachine;

const CI = `
stages: [build, test]

train:
  stage: build
  tags: [gpu]
  script: ['echo "trained on $CI_RUNNER_DESCRIPTION with tags $CI_RUNNER_TAGS"']

build:
  stage: build
  tags: [docker, large]
  script: ['echo "built on $CI_RUNNER_DESCRIPTION"']

unit:
  stage: test
  script: ['echo "tested on $CI_RUNNER_DESCRIPTION"']

ship:
  stage: test
  tags: [deploy]
  script: ['echo "shipped on $CI_RUNNER_DESCRIPTION"']
`;

const UNSERVED = `
unit:
  script: ['echo "tested on $CI_RUNNER_DESCRIPTION"']

arm:
  tags: [arm64]
  script: ['echo "built for arm on $CI_RUNNER_DESCRIPTION"']
`;

/** The runner's "on NAME <token>" line at the top of every job log. */
const ranOn = (log: string, name: string) =>
  new RegExp(`\\bon ${name.replace('.', '\\.')} [A-Za-z0-9_-]{8}`).test(log);

beforeAll(async () => {
  machine = await startRunMachine();
  appendFileSync(
    path.join(machine.sandbox.glciHome, 'config.toml'),
    [
      '[runners.gpu]',
      'tags = ["gpu"]',
      '',
      '[runners.big]',
      'tags = ["docker", "large"]',
      'concurrent = 2',
      '',
      '[projects."examples/tagged".runners.deploy]',
      'tags = ["deploy"]',
      '',
    ].join('\n'),
  );
}, 600_000);

afterAll(async () => {
  await machine?.stop();
}, 300_000);

describe('glci run with [runners.NAME]', { timeout: 600_000 }, () => {
  it("runs each job on the runner that has all its tags, the project's own in its own container", async () => {
    const dir = await machine.projectFrom('tagged', { '.gitlab-ci.yml': CI });
    const result = await machine.glci(['run', '--context', 'branch=main', '--json'], dir);
    expect(result.code, `${result.stderr}\n${result.stdout.slice(-4000)}`).toBe(0);
    expect(finalStates(result.stdout)).toEqual({
      train: 'success',
      build: 'success',
      unit: 'success',
      ship: 'success',
    });
    const train = jobLog(result.stdout, 'train');
    expect(ranOn(train, 'gpu'), train).toBe(true);
    expect(train).toContain('trained on gpu with tags ["gpu"]');
    const build = jobLog(result.stdout, 'build');
    expect(ranOn(build, 'big'), build).toBe(true);
    expect(build).toContain('built on big');
    const unit = jobLog(result.stdout, 'unit');
    expect(ranOn(unit, 'glci-shared'), unit).toBe(true);
    const ship = jobLog(result.stdout, 'ship');
    expect(ranOn(ship, 'deploy'), ship).toBe(true);
    // The project's runner lives in a container of its own, beside the shared one
    // (`<prefix>-runner-<suffix>` and `<prefix>-runner-<suffix>-<project>`).
    const { stdout } = await execFileAsync('docker', ['ps', '--format', '{{.Names}}']);
    const runners = stdout.split('\n').filter((name) => name.includes(`-runner-${machine.instance}`));
    expect(
      runners.some((name) => name.endsWith(`-runner-${machine.instance}`)),
      runners.join(', '),
    ).toBe(true);
    expect(
      runners.some((name) => name.endsWith(`-runner-${machine.instance}-examples-tagged`)),
      runners.join(', '),
    ).toBe(true);
  });

  it('leaves a job whose tags no runner has pending, naming them and the fix, and fails it as stuck at the end', async () => {
    const dir = await machine.projectFrom('unserved', { '.gitlab-ci.yml': UNSERVED });
    const result = await machine.glci(['run', '--context', 'branch=main', '--json'], dir);
    expect(result.code).toBe(1);
    expect(finalStates(result.stdout)).toEqual({ unit: 'success', arm: 'failed' });
    const arm = events(result.stdout).filter((event) => event.type === 'job' && event.name === 'arm');
    const pending = arm.find((event) => event.status === 'pending' && event.reason !== undefined);
    expect(String(pending?.reason)).toContain('job "arm" is pending: no runner has all of its tags (arm64)');
    expect(String(pending?.reason)).toContain('[runners.gpu] (tags gpu)');
    expect(String(pending?.reason)).toContain('[runners.arm64]\n  tags = ["arm64"]');
    expect(String(pending?.reason)).toContain('--any-runner');
    expect(arm.at(-1)).toMatchObject({ status: 'failed', failureReason: 'stuck_or_timeout_failure' });
    expect(jobLog(result.stdout, 'arm')).toBe('');
  });

  it('runs it on the shared runner with --any-runner', async () => {
    const dir = path.join(machine.sandbox.home, 'work', 'unserved');
    const result = await machine.glci(['run', '--context', 'branch=main', '--json', '--any-runner'], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(finalStates(result.stdout)).toEqual({ unit: 'success', arm: 'success' });
    const arm = jobLog(result.stdout, 'arm');
    expect(ranOn(arm, 'glci-shared'), arm).toBe(true);
  });
});
