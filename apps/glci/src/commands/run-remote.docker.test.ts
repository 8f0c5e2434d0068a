import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, finalStates, jobLog } from '../test-support/glci-run.js';
import { type RemoteRunMachine, startRemoteRunMachine } from '../test-support/remote-run.js';

/**
 * `glci run` against a remote Docker host, over TLS and over ssh://: a dockerd in a privileged
 * container of the local engine (`@glci/testkit`'s remote-host fixtures), reached only through
 * its Engine API as `[docker] host` names it. glci sends the images built here (mock, runner,
 * helper, the jobs' default image) over the Engine API, starts everything in that dockerd, and
 * reaches the mock through `docker exec` (its port is on that host's loopback). The webapp example
 * runs whole there — a service, a privileged Docker-in-Docker build and push, the deploy of the
 * pushed image — its Docker Hub images pulled by the remote engine through the mock's
 * pull-through cache; then the commands that read or clean what a pipeline left (log, artifacts,
 * registry pull, system df and prune, stop) are asserted to work on the remote, and the local
 * engine never gets a container of glci's.
 */
const HUB_MANIFESTS = [
  'alpine/manifests/3.20',
  'nginx/manifests/alpine',
  'docker/manifests/27',
  'docker/manifests/27-dind',
];

const SLOW_CI = [
  'slow:',
  '  script:',
  '    - echo "started $CI_JOB_ID"',
  '    - for i in $(seq 1 120); do echo "tick $i"; sleep 1; done',
  '',
].join('\n');

describe.each(['tls', 'ssh'] as const)(
  'glci on a remote Docker host over %s',
  { timeout: 900_000 },
  (kind) => {
    let host: RemoteRunMachine;
    let webapp: string;
    let pipelineId: number;
    let sha: string;
    /** Every container id of this instance the remote engine ever listed. */
    const seenRemote = new Set<string>();

    beforeAll(async () => {
      host = await startRemoteRunMachine(kind);
      webapp = await host.machine.project('webapp');
    }, 600_000);

    afterAll(async () => {
      await host?.stop();
    }, 300_000);

    /** The local engine holds none of this instance's containers, nor any the remote listed. */
    async function expectLocalUntouched(): Promise<void> {
      expect(await host.glciContainers('local')).toEqual([]);
      for (const id of seenRemote) {
        await expect(host.localDocker(['container', 'inspect', id]), id).rejects.toThrow(/No such/);
      }
    }

    async function remoteContainers(...filters: string[]): Promise<string[]> {
      const listed = await host.remoteDocker([
        'ps',
        '-a',
        '--no-trunc',
        '--filter',
        `label=dev.glci.instance=${host.machine.instance}`,
        ...filters.flatMap((filter) => ['--filter', filter]),
        '--format',
        '{{.ID}} {{.Names}} {{.State}}',
      ]);
      const rows = listed
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' '));
      for (const [id] of rows) seenRemote.add(id!);
      return rows.map(([, name, state]) => `${name} ${state}`);
    }

    /** A GET to the mock's own port inside its container on the remote host (its registry API). */
    async function mockGet(urlPath: string): Promise<unknown> {
      const [mock] = await remoteContainers('label=dev.glci.role=mock');
      const name = mock!.split(' ')[0]!;
      const script = `fetch('http://127.0.0.1:'+process.env.GLCI_MOCK_PORT+${JSON.stringify(urlPath)}).then(r=>r.text()).then(t=>process.stdout.write(t))`;
      return JSON.parse(await host.remoteDocker(['exec', name, '/usr/bin/node', '-e', script]));
    }

    it('runs the webapp example there: service, DinD build and push, deploy; images through the mock pull-through cache', async () => {
      expect(await host.glciContainers('local')).toEqual([]);
      const result = await host.machine.glci(['run', '--context', 'branch=main', '--json'], webapp);
      expect(result.code, `${result.stderr}\n${result.stdout.slice(-6000)}`).toBe(0);
      expect(finalStates(result.stdout)).toEqual({
        build: 'success',
        lint: 'success',
        audit: 'failed (allowed)',
        test: 'success',
        package: 'success',
        deploy: 'success',
      });
      const pipeline = events(result.stdout).find((event) => event.type === 'pipeline')!;
      pipelineId = Number(pipeline.pipelineId);
      sha = String(pipeline.sha).slice(0, 8);
      expect(jobLog(result.stdout, 'test')).toMatch(/the service answered with [1-9]\d* bytes/);
      expect(jobLog(result.stdout, 'deploy')).toContain(`webapp version 1.4-${sha}`);
      // The mock and the runner ran on the remote host.
      const there = await remoteContainers();
      expect(await remoteContainers('label=dev.glci.role=mock')).toHaveLength(1);
      expect(there.some((row) => row.includes(`runner-${host.machine.instance}`))).toBe(true);
      // The DinD job pushed to the embedded registry in the remote host's mock.
      expect(((await mockGet('/v2/examples/webapp/tags/list')) as { tags: string[] }).tags.sort()).toEqual([
        `1.4-${sha}`,
        'latest',
      ]);
      // Docker Hub images: the remote engine pulled each through the mock's port on its own
      // loopback (glci tags them under their own names there), the mock's cache asked the upstream
      // once for each, and holds them.
      const port = host.machine.port;
      for (const image of ['alpine:3.20', 'nginx:alpine', 'docker:27', 'docker:27-dind']) {
        const cached = `127.0.0.1:${port}/library/${image}`;
        const remoteId = await host.remoteDocker(['image', 'inspect', '--format', '{{.Id}}', cached]);
        expect(await host.remoteDocker(['image', 'inspect', '--format', '{{.Id}}', image])).toBe(remoteId);
        await expect(host.localDocker(['image', 'inspect', cached]), cached).rejects.toThrow(/No such/);
      }
      for (const manifest of HUB_MANIFESTS) {
        expect(host.machine.upstream.count(new RegExp(`^GET /v2/library/${manifest} 200$`)), manifest).toBe(
          1,
        );
      }
      const catalog = (await mockGet('/v2/_catalog')) as { repositories: string[] };
      expect(catalog.repositories).toEqual(
        expect.arrayContaining(['library/alpine', 'library/nginx', 'library/docker', 'examples/webapp']),
      );
      await expectLocalUntouched();
    });

    it('glci log and glci artifacts read the remote pipeline', async () => {
      const log = await host.machine.glci(['log', String(pipelineId), 'test'], webapp);
      expect(log.code, log.stderr).toBe(0);
      expect(log.stdout).toMatch(/the service answered with [1-9]\d* bytes/);
      const raw = await host.machine.glci(['log', '--raw', String(pipelineId), 'package'], webapp);
      expect(raw.code, raw.stderr).toBe(0);
      // The push in the DinD job, as the runner recorded it.
      expect(raw.stdout).toMatch(new RegExp(`1\\.4-${sha}: digest: sha256:[0-9a-f]{64}`));
      const dest = mkdtempSync(path.join(os.tmpdir(), 'glci-remote-artifacts-'));
      try {
        const extracted = await host.machine.glci(
          ['artifacts', 'extract', String(pipelineId), 'build', '--dest', dest],
          webapp,
        );
        expect(extracted.code, extracted.stderr).toBe(0);
        expect(readFileSync(path.join(dest, 'public/index.html'), 'utf8')).toContain(`1.4-${sha}`);
      } finally {
        rmSync(dest, { recursive: true, force: true });
      }
    });

    it('glci registry pull pulls into the remote engine, and --to-local copies into the local one', async () => {
      const source = `127.0.0.1:${host.machine.port}/examples/webapp:latest`;
      const prefix = `glci-test-${host.machine.instance}`;
      const pulled = await host.machine.glci(
        ['registry', 'pull', 'examples/webapp:latest', prefix, '--json'],
        webapp,
      );
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(JSON.parse(pulled.stdout)).toEqual({
        image: source,
        engine: host.remote.host,
        tagged: `${prefix}/examples/webapp:latest`,
      });
      const id = await host.remoteDocker([
        'image',
        'inspect',
        '--format',
        '{{.Id}}',
        `${prefix}/examples/webapp:latest`,
      ]);
      await expect(host.localDocker(['image', 'inspect', source])).rejects.toThrow(/No such/);

      const local = `${prefix}-local`;
      const copied = await host.machine.glci(
        ['registry', 'pull', 'examples/webapp:latest', local, '--to-local', '--json'],
        webapp,
      );
      expect(copied.code, copied.stderr).toBe(0);
      expect(JSON.parse(copied.stdout)).toEqual({
        image: source,
        engine: 'unix:///var/run/docker.sock',
        tagged: `${local}/examples/webapp:latest`,
      });
      expect(copied.stderr).toContain(`copied ${source} to unix:///var/run/docker.sock`);
      try {
        expect(
          await host.localDocker([
            'image',
            'inspect',
            '--format',
            '{{.Id}}',
            `${local}/examples/webapp:latest`,
          ]),
        ).toBe(id);
        const served = await host.localDocker([
          'run',
          '--rm',
          `${local}/examples/webapp:latest`,
          'cat',
          '/srv/index.html',
        ]);
        expect(served).toContain(`webapp version 1.4-${sha}`);
      } finally {
        await host
          .localDocker(['image', 'rm', `${local}/examples/webapp:latest`, source])
          .catch(() => undefined);
      }
    });

    it('glci stop cancels a pipeline whose job runs on the remote host', async () => {
      const project = await host.machine.projectFrom('slow', { '.gitlab-ci.yml': SLOW_CI });
      const child = host.machine.spawnGlci(['run', '--context', 'branch=main'], project);
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await expect.poll(() => stdout, { timeout: 300_000, interval: 500 }).toContain('tick 2');
        // The job's container runs on the remote engine (the runner's own label), not here.
        const jobs = () =>
          host
            .remoteDocker(['ps', '-q', '--filter', 'label=com.gitlab.gitlab-runner.type=build'])
            .then((out) => out.split('\n').filter(Boolean));
        expect((await jobs()).length).toBeGreaterThan(0);
        const stop = await host.machine.glci(['stop', '--json'], project);
        expect(stop.code, stop.stderr).toBe(0);
        const { stopped } = JSON.parse(stop.stdout) as { stopped: { id: number; status: string }[] };
        expect(stopped.map((entry) => entry.status)).toEqual(['canceled']);
        expect(await exited).toBe(1);
        expect(stdout).not.toContain('tick 100');
        await expect.poll(jobs, { timeout: 60_000, interval: 1000 }).toEqual([]);
      } finally {
        child.kill('SIGKILL');
      }
      await expectLocalUntouched();
    });

    it('glci system df lists the remote objects; prune removes them there', async () => {
      const df = await host.machine.glci(
        ['system', 'df', '--json', '--instance', host.machine.instance],
        webapp,
      );
      expect(df.code, df.stderr).toBe(0);
      const usage = JSON.parse(df.stdout) as { containers: { name: string }[]; volumes: { name: string }[] };
      const names = (await remoteContainers()).map((row) => row.split(' ')[0]);
      expect(usage.containers.map((entry) => entry.name).sort()).toEqual([...names].sort());
      expect(names.length).toBeGreaterThan(0);
      expect(usage.volumes.length).toBeGreaterThan(0);
      // The daemon stops the mock and the runner (not removed); a plain prune removes them there.
      const stopped = await host.machine.glci(['daemon', 'stop'], webapp);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect((await remoteContainers()).every((row) => row.endsWith(' exited'))).toBe(true);
      const prune = await host.machine.glci(
        ['system', 'prune', '--force', '--instance', host.machine.instance],
        webapp,
      );
      expect(prune.code, prune.stderr).toBe(0);
      expect(prune.stdout).toContain('Removed containers');
      expect(await remoteContainers()).toEqual([]);
      await expectLocalUntouched();
    });
  },
);
