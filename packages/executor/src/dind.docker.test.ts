import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { configSchema, createSilentLogger, resolveNetwork } from '@glci/config';
import { TimestampStripper } from '@glci/daemon';
import { DockerOrchestrator, GlciTopology, reapGlciObjects, removeRunnerObjects } from '@glci/docker';
import { type JobSpecInput, packRepository } from '@glci/runner-api';
import {
  type CountingProxy,
  ensureMockImage,
  ensureTestImages,
  freePort,
  RUNNER_IMAGES,
  type RunningDistribution,
  run,
  startCountingProxy,
  startDistribution,
} from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DindWiring } from './dind-wiring.js';
import { MockClient, type MockEvent } from './mock-client.js';
import { RunnerFleet } from './runner-fleet.js';

const execFileAsync = promisify(execFile);

/**
 * A Docker-in-Docker job run the way `glci run` runs one, with the official runner: the glci-mock
 * container (image built from this checkout), the runner container with a runner entry of the
 * job's own on a per-DinD-job network with the mock attached, the generated `daemon.json`, and a
 * locally built `docker:dind` stand-in (Debian's dockerd). The job builds an image whose base
 * comes from an upstream registry standing in for Docker Hub, through glci's pull-through cache
 * (counted at the upstream), and pushes it to `$CI_REGISTRY_IMAGE`.
 */
const suffix = randomBytes(4).toString('hex');
const instance = `dind-${suffix}`;
const secret = `dind-test-secret-${suffix}`;
const logger = createSilentLogger();
let port: number;
let orchestrator: DockerOrchestrator;
let topology: GlciTopology;
let client: MockClient;
let fleet: RunnerFleet;
let dind: DindWiring;
let distribution: RunningDistribution;
let upstream: CountingProxy;
let repoDir: string;
let sha: string;

/** A project whose Dockerfile starts from a "Docker Hub" image. */
async function makeProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glci-dind-project-'));
  const git = (...args: string[]) =>
    execFileAsync('git', ['-C', dir, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', ...args]);
  await git('init', '-q', '-b', 'main');
  await writeFile(
    path.join(dir, 'Dockerfile'),
    'FROM glci-dind-base:1\nCOPY app.txt /app.txt\nCMD ["cat", "/app.txt"]\n',
  );
  await writeFile(path.join(dir, 'app.txt'), 'built inside Docker-in-Docker\n');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'A Dockerfile');
  return dir;
}

beforeAll(async () => {
  await ensureTestImages();
  const mockImage = await ensureMockImage();
  port = await freePort();
  const network = resolveNetwork(configSchema.parse({ network: { mock_server_port: port } }));
  orchestrator = await DockerOrchestrator.connect(network.docker, { logger });
  const gateway = await orchestrator.bridgeGateway();

  // The upstream ("Docker Hub"): CNCF distribution holding library/glci-dind-base:1, behind a
  // counter the mock's container reaches on the bridge gateway.
  distribution = await startDistribution();
  upstream = await startCountingProxy(distribution.url, { host: gateway });
  await run('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    'docker-daemon:glci-test/busybox:1',
    `docker://${distribution.host}/library/glci-dind-base:1`,
  ]);
  upstream.reset();

  topology = new GlciTopology({
    orchestrator,
    network,
    privileged: true,
    logger,
    session: instance,
    instance,
    namePrefix: `glci-${instance}`,
    mock: {
      image: mockImage,
      pullPolicy: 'never',
      env: {
        GLCI_MOCK_SECRET: secret,
        GLCI_MOCK_EXTERNAL_URL: `http://host.docker.internal:${port}`,
        GLCI_MOCK_UPSTREAMS: upstream.url,
      },
    },
  });
  await topology.ensureMock();
  client = new MockClient({ baseUrl: `http://127.0.0.1:${port}`, secret });
  const extraHosts = ['host.docker.internal:host-gateway'];
  fleet = new RunnerFleet({
    topology,
    client,
    logger,
    suffix: instance,
    settings: {
      image: RUNNER_IMAGES.runner,
      helperImage: RUNNER_IMAGES.helper,
      mockUrl: `http://host.docker.internal:${port}`,
      extraHosts,
      concurrent: 4,
      privileged: true,
      defaultImage: RUNNER_IMAGES.dockerCli,
    },
  });
  await fleet.start();
  dind = new DindWiring({ topology, fleet, logger, fillImage: mockImage, extraHosts });

  repoDir = await makeProject();
  const packed = await packRepository({ repoDir });
  ({ sha } = await client.sendPack(packed.pack, {
    project: 'group/demo',
    sha: packed.sha,
    ref: 'main',
    refType: 'branch',
    pipelineId: 1,
  }));
}, 600_000);

afterAll(async () => {
  const runnerIds = fleet?.runnerIds() ?? [];
  await topology?.stopPipeline('1').catch(() => undefined);
  if (orchestrator) {
    await removeRunnerObjects(orchestrator.docker, runnerIds);
    await reapGlciObjects(orchestrator.docker, logger, { instance }, { all: true }).catch(() => undefined);
  }
  await upstream?.stop();
  await distribution?.stop();
  if (repoDir) await rm(repoDir, { recursive: true, force: true });
}, 180_000);

/** Queues a DinD job the way the daemon does and waits for its end; returns its state and log. */
async function runDindJob(jobKey: string, spec: Partial<JobSpecInput> & Pick<JobSpecInput, 'script'>) {
  const prepared = await dind.prepare('1', jobKey, {
    name: jobKey,
    project: { path: 'group/demo' },
    pipeline: { id: 1 },
    git: { ref: 'main', sha },
    image: RUNNER_IMAGES.dockerCli,
    services: [{ name: RUNNER_IMAGES.dind, alias: 'docker' }],
    ...spec,
  });
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 240_000);
    const job = await client.enqueue(prepared.spec);
    let state: string = job.state;
    try {
      for await (const event of client.events({ jobs: [job.id], signal: controller.signal })) {
        state = stateOf(event, job.id) ?? state;
        if (['success', 'failed', 'canceled'].includes(state)) break;
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    // The runner stamps each line (FF_TIMESTAMPS); the log as `glci log --raw` prints it, without them.
    const raw = await client.trace(job.id);
    const stripper = new TimestampStripper();
    const log = Buffer.concat([stripper.push(raw), stripper.end()]).toString('utf8');
    return { state, log, id: job.id };
  } finally {
    await prepared.release();
  }
}

function stateOf(event: MockEvent, jobId: number): string | undefined {
  if (event.type === 'snapshot' && event.job.id === jobId) return event.job.state;
  if (event.type === 'state' && event.jobId === jobId) return event.state;
  return undefined;
}

const waitForDocker =
  'for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done; docker info >/dev/null';

describe('a Docker-in-Docker job, the way glci runs it', { timeout: 600_000 }, () => {
  it('builds from a Docker Hub image through the pull-through cache and pushes $CI_REGISTRY_IMAGE', async () => {
    const { state, log } = await runDindJob('build', {
      script: [
        waitForDocker,
        'docker info --format "mirrors: {{.RegistryConfig.Mirrors}}"',
        'DOCKER_BUILDKIT=0 docker build -q -t "$CI_REGISTRY_IMAGE:1" .',
        'echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"',
        'docker push "$CI_REGISTRY_IMAGE:1"',
        'docker run --rm "$CI_REGISTRY_IMAGE:1"',
      ],
    });
    expect(state, log).toBe('success');
    expect(log).toContain(`mirrors: [http://glci-mock:${port}/]`);
    expect(log).toContain('built inside Docker-in-Docker');
    expect(log).toMatch(/1: digest: sha256:[0-9a-f]{64}/);

    // The pushed image is in the embedded registry; the base image is in its pull-through cache.
    const tags = await (await fetch(`http://127.0.0.1:${port}/v2/group/demo/tags/list`)).json();
    expect(tags).toEqual({ name: 'group/demo', tags: ['1'] });
    // The base came from the upstream once: its manifest and each of its blobs.
    expect(upstream.count(/^GET \/v2\/library\/glci-dind-base\/manifests\/1 200$/)).toBe(1);
    const blobGets = upstream.count(/^GET \/v2\/library\/glci-dind-base\/blobs\/sha256:[0-9a-f]+ 200$/);
    expect(blobGets).toBeGreaterThanOrEqual(2); // config and layer
  });

  it('serves the base image to a fresh DinD daemon from the cache, without asking the upstream again', async () => {
    const before = upstream.count(/\/blobs\//);
    const { state, log } = await runDindJob('pull', {
      script: [
        waitForDocker,
        'docker pull -q glci-dind-base:1',
        'docker run --rm glci-dind-base:1 echo "pulled"',
      ],
    });
    expect(state, log).toBe('success');
    expect(log).toContain('\npulled');
    expect(upstream.count(/\/blobs\//)).toBe(before);
  });

  it('gives each DinD job a network and runner entry of its own, and removes both after the job', async () => {
    const networks = (await orchestrator.find({ instance })).networks.map((network) => network.name);
    expect(networks.filter((name) => name.includes('-job-'))).toEqual([]);
    const config = await fleet.container!.exec(['cat', '/etc/gitlab-runner/config.toml']);
    // The standing entries only (shared, services): the DinD jobs' entries are gone.
    expect(config.stdout.match(/name = "[^"]+"/g)).toEqual([
      'name = "glci-shared"',
      'name = "glci-services"',
    ]);
  });
});
