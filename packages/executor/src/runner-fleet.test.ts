import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import type { GlciTopology, RunnerSpec, StartedContainer } from '@glci/docker';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockClient } from './mock-client.js';
import { RunnerFleet } from './runner-fleet.js';
import { SERVICES_TAG } from './runner-routing.js';

type Table = Record<string, unknown>;

/**
 * The fleet's own decisions, without Docker: what it registers with the mock and the `config.toml`
 * it gives the runner. The runner's reading of that file is proven against the real runner by
 * `dind.docker.test.ts` and `apps/glci`'s run tests; here a recording topology and mock client
 * stand in, since only the fleet's output is checked.
 */
function fixture() {
  const registered: { tags: readonly string[]; runUntagged?: boolean }[] = [];
  const configs: string[] = [];
  const client = {
    async registerRunner(info: { tags: readonly string[]; runUntagged?: boolean }) {
      registered.push(info);
      return { id: registered.length, token: `glrt-${registered.length}_token${registered.length}` };
    },
    async verifyRunner() {
      return true;
    },
  } as unknown as MockClient;
  const container = { name: 'glci-runner-t' } as StartedContainer;
  const topology = {
    async ensureBuildsVolume() {
      return 'glci-t-builds';
    },
    async ensureRunner(spec: RunnerSpec) {
      configs.push(spec.configToml);
      return container;
    },
    async updateRunnerConfig(_runner: StartedContainer, toml: string) {
      configs.push(toml);
      return true;
    },
  } as unknown as GlciTopology;
  return { registered, configs, client, topology };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fleetWith(f: ReturnType<typeof fixture>, stateFile?: string) {
  return new RunnerFleet({
    topology: f.topology,
    client: f.client,
    logger: createSilentLogger(),
    suffix: 't',
    ...(stateFile ? { stateFile } : {}),
    settings: {
      image: 'gitlab/gitlab-runner:v17.9.0',
      mockUrl: 'http://host.docker.internal:39741',
      extraHosts: ['host.docker.internal:host-gateway'],
      concurrent: 4,
      privileged: false,
      defaultImage: 'alpine:3.20',
    },
  });
}

describe('RunnerFleet', () => {
  it('registers a shared entry and one for jobs with services, each with only what its jobs use', async () => {
    const f = fixture();
    await fleetWith(f).start();
    expect(f.registered).toEqual([
      expect.objectContaining({ tags: [], runUntagged: true }),
      expect.objectContaining({ tags: [SERVICES_TAG], runUntagged: false }),
    ]);
    const config = parse(f.configs.at(-1)!) as Table;
    const runners = config.runners as Table[];
    expect(runners.map((runner) => runner.name)).toEqual(['glci-shared', 'glci-services']);
    const [shared, services] = runners as [Table, Table];
    // No /cache or /certs/client volume (a permission container per job each); the builds volume
    // bound at /builds (none made and permission-set per job).
    expect((shared.docker as Table).volumes).toEqual(['glci-t-builds:/builds']);
    expect((services.docker as Table).volumes).toEqual(['glci-t-builds:/builds']);
    // A per-build network only where services need one; timestamps for `glci log --timings`.
    expect(shared.feature_flags).toEqual({ FF_TIMESTAMPS: true, FF_NETWORK_PER_BUILD: false });
    expect(services.feature_flags).toEqual({ FF_TIMESTAMPS: true, FF_NETWORK_PER_BUILD: true });
    // One worker per held job request on top of the jobs at once.
    expect(config.concurrent).toBe(4 + 2);
  });

  it('gives a Docker-in-Docker entry its network, its volumes and the TLS certificates volume', async () => {
    const f = fixture();
    const fleet = fleetWith(f);
    await fleet.start();
    await fleet.add('dind-1-j1', {
      tags: ['glci-dind-1-j1'],
      networkMode: 'glci-net-1-job-j1',
      volumes: ['glci-dind-1-job-j1:/etc/docker'],
    });
    const runners = (parse(f.configs.at(-1)!) as Table).runners as Table[];
    const dind = runners.find((runner) => runner.name === 'glci-dind-1-j1')!;
    expect((dind.docker as Table).volumes).toEqual(['/certs/client', 'glci-dind-1-job-j1:/etc/docker']);
    expect((dind.docker as Table).network_mode).toBe('glci-net-1-job-j1');
    expect(dind.feature_flags).toEqual({ FF_TIMESTAMPS: true, FF_NETWORK_PER_BUILD: false });
    expect((parse(f.configs.at(-1)!) as Table).concurrent).toBe(4 + 3);
    await fleet.remove('dind-1-j1');
    expect(((parse(f.configs.at(-1)!) as Table).runners as Table[]).map((runner) => runner.name)).toEqual([
      'glci-shared',
      'glci-services',
    ]);
  });

  it('keeps its entries for the next daemon, and takes over the shared one a previous version kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-fleet-'));
    dirs.push(dir);
    const stateFile = path.join(dir, 'fleet.json');
    const first = fixture();
    await fleetWith(first, stateFile).start();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(Object.keys(saved.standing)).toEqual(['shared', 'services']);
    const second = fixture();
    await fleetWith(second, stateFile).start();
    expect(second.registered).toEqual([]);

    // A state file from before the standing entries: its shared runner is kept, services added.
    const old = fixture();
    const oldFile = path.join(dir, 'old.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      oldFile,
      JSON.stringify({ shared: { tags: [], token: 'glrt-9_old' }, runnerIds: ['9_old'] }),
    );
    const fleet = fleetWith(old, oldFile);
    await fleet.start();
    expect(old.registered).toEqual([expect.objectContaining({ tags: [SERVICES_TAG] })]);
    expect(((parse(old.configs.at(-1)!) as Table).runners as Table[])[0]!.token).toBe('glrt-9_old');
    expect(fleet.runnerIds()).toContain('9_old');
  });
});
