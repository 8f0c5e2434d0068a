import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { spawnManaged } from '@glci/testkit';
import { parse } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { healthcheck, startMock } from './main.js';
import { readMockSettings } from './settings.js';
import { SimulatedRunner } from './test-support/simulated-runner.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const SECRET = 'main-test-secret-0123456789';
let home: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'glci-mock-main-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('startMock', () => {
  it('writes a config.toml whose runner token takes jobs from the mock', async () => {
    const configPath = path.join(home, 'runner', 'config.toml');
    const settings = await readMockSettings(
      {
        GLCI_HOME: home,
        GLCI_MOCK_PORT: '0',
        GLCI_MOCK_SECRET: SECRET,
        GLCI_MOCK_STORAGE: 'memory:',
        GLCI_MOCK_UPSTREAMS: '',
        GLCI_MOCK_LONG_POLL_MS: '0',
        GLCI_MOCK_RUNNER_CONFIG: configPath,
        GLCI_MOCK_RUNNER_TAGS: 'docker',
      },
      home,
    );
    const started = await startMock(settings, createSilentLogger());
    try {
      expect((await stat(configPath)).mode & 0o777).toBe(0o600);
      const config = parse(await readFile(configPath, 'utf8')) as {
        runners: { url: string; token: string }[];
      };
      const runner = config.runners[0]!;
      expect(runner.url).toBe(started.running.url);
      const job = started.running.runnerApi.enqueue({
        name: 'tagged',
        project: { path: 'g/p' },
        pipeline: { id: 1 },
        git: { ref: 'main', sha: 'b'.repeat(40) },
        tags: ['docker'],
        script: ['true'],
      });
      const payload = await new SimulatedRunner(started.running.url, runner.token).requestJob();
      expect(payload.id).toBe(job.id);
      const healthy = await healthcheck({
        GLCI_HOME: home,
        GLCI_MOCK_PORT: String(started.running.port),
        GLCI_MOCK_SECRET: SECRET,
      });
      expect(healthy).toBe(true);
      expect(
        await healthcheck({
          GLCI_HOME: home,
          GLCI_MOCK_PORT: String(started.running.port),
          GLCI_MOCK_SECRET: `${SECRET}x`,
        }),
      ).toBe(false);
    } finally {
      await started.close();
    }
  });
});

describe('glci-mock (the bin)', () => {
  it('prints its URL, serves, and exits 0 on SIGTERM', async () => {
    const child = spawnManaged(
      path.join(repoRoot, 'node_modules/.bin/tsx'),
      ['--conditions=source', path.join(repoRoot, 'apps/mock/src/bin.ts')],
      {
        ...process.env,
        GLCI_HOME: home,
        GLCI_MOCK_PORT: '0',
        GLCI_MOCK_SECRET: SECRET,
        GLCI_MOCK_STORAGE: path.join(home, 'registry'),
        GLCI_MOCK_UPSTREAMS: '',
      },
    );
    await using _ = child;
    const [chunk] = (await once(child.child.stdout!, 'data')) as [Buffer];
    const url = chunk.toString().trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/internal/health`, { headers: { Authorization: `Bearer ${SECRET}` } });
    expect(health.status).toBe(200);
    expect((await fetch(`${url}/internal/health`)).status).toBe(401);
    const exited = once(child.child, 'exit');
    child.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(child.output()).toContain('shutting down');
    expect(child.output()).not.toContain(SECRET);
  });

  it('exits 2 with one line on a bad setting', async () => {
    const child = spawnManaged(
      path.join(repoRoot, 'node_modules/.bin/tsx'),
      ['--conditions=source', path.join(repoRoot, 'apps/mock/src/bin.ts')],
      { ...process.env, GLCI_HOME: home, GLCI_MOCK_PORT: '99999' },
    );
    const [code] = (await once(child.child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(child.output().trim()).toMatch(/^glci-mock: GLCI_MOCK_PORT must be an integer/);
  });
});
