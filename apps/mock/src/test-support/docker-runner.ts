import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configSchema, createSilentLogger, resolveNetwork } from '@glci/config';
import {
  DockerOrchestrator,
  GlciTopology,
  reapGlciObjects,
  removeRunnerObjects,
  runnerShortToken,
  type StartedContainer,
} from '@glci/docker';
import type { JobSpecInput } from '@glci/runner-api';
import { type RunnerEntryOptions, renderRunnersConfig } from '@glci/runner-api';
import { RUNNER_IMAGES, requireDocker } from '@glci/testkit';
import { createMockServer, type MockServerOptions, type RunningMockServer } from '../create-mock-server.js';
import { type FinishedJob, PROJECT, SECRET } from './real-runner.js';

/**
 * The official runner with the Docker executor, in a container on a glci pipeline network built
 * by `@glci/docker`, taking jobs from an in-process mock. Job, service and helper containers reach
 * the mock as `host.docker.internal:<port>` (extra_hosts → host-gateway), so the mock listens on
 * the default bridge's gateway address, which the host owns; a second listener on 127.0.0.1
 * serves the host's dockerd, which pulls `$CI_REGISTRY` images as `127.0.0.1:<port>` (the
 * daemon's rewrite, as glci does for job images).
 */
export interface DockerRunnerHarness extends AsyncDisposable {
  readonly mock: RunningMockServer;
  /** `host.docker.internal:<port>`: `CI_REGISTRY` as jobs see it. */
  readonly registryHost: string;
  /** `127.0.0.1:<port>`: the same registry for the host's dockerd. */
  readonly hostRegistry: string;
  readonly runner: StartedContainer;
  readonly topology: GlciTopology;
  publish(repoDir: string): Promise<string>;
  enqueue(
    spec: Partial<JobSpecInput> & Pick<JobSpecInput, 'script'>,
  ): ReturnType<RunningMockServer['runnerApi']['enqueue']>;
  finished(jobId: number, timeoutMs?: number): Promise<FinishedJob>;
  run(spec: Partial<JobSpecInput> & Pick<JobSpecInput, 'script'>, timeoutMs?: number): Promise<FinishedJob>;
  close(): Promise<void>;
}

export interface DockerHarnessOptions {
  readonly mock?: Partial<MockServerOptions>;
  readonly entry?: Partial<RunnerEntryOptions>;
}

export async function startDockerRunnerHarness(
  options: DockerHarnessOptions = {},
): Promise<DockerRunnerHarness> {
  await requireDocker();
  const logger = createSilentLogger();
  const config = configSchema.parse({});
  const network = resolveNetwork(config);
  const orchestrator = await DockerOrchestrator.connect(network.docker, { logger });
  const instance = `rr-${randomUUID().slice(0, 8)}`;
  const topology = new GlciTopology({
    orchestrator,
    network,
    privileged: true,
    logger,
    session: instance,
    instance,
    namePrefix: `glci-${instance}`,
    mock: { image: 'unused-by-this-harness' },
  });
  const gateway = await orchestrator.bridgeGateway();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'glci-docker-runner-'));
  // Bind first to learn the port, then tell the mock its external name.
  const probe = createServer();
  const port = await new Promise<number>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, gateway, () => {
      const { port: bound } = probe.address() as AddressInfo;
      probe.close(() => resolve(bound));
    });
  });
  const registryHost = `host.docker.internal:${port}`;
  const mock = await createMockServer({
    secret: SECRET,
    dataDir,
    longPollMs: 2_000,
    externalUrl: `http://${registryHost}`,
    ...options.mock,
  }).listen({ host: gateway, port, closeTimeoutMs: 500 });
  const loopback: Server = createServer((req, res) => mock.server.emit('request', req, res));
  const hostPort = await new Promise<number>((resolve, reject) => {
    loopback.once('error', reject);
    loopback.listen(0, '127.0.0.1', () => resolve((loopback.address() as AddressInfo).port));
  });

  const api = mock.runnerApi;
  const { token } = api.registerRunner({ tags: [], runUntagged: true });
  const pipelineId = '1';
  await orchestrator.createNetwork({
    name: topology.names.pipelineNetwork(pipelineId),
    labels: topology.labels('pipeline-network', { pipeline: pipelineId }),
  });
  const configToml = renderRunnersConfig({ concurrent: 2, checkInterval: 1, logLevel: 'info' }, [
    {
      url: mock.url,
      token,
      name: 'docker-runner-test',
      executor: 'docker',
      ...options.entry,
      docker: {
        image: RUNNER_IMAGES.dockerCli,
        helperImage: RUNNER_IMAGES.helper,
        pullPolicy: ['if-not-present'],
        privileged: true,
        volumes: ['/cache', '/certs/client'],
        extraHosts: ['host.docker.internal:host-gateway'],
        ...options.entry?.docker,
      },
    },
  ]);
  const runner = await topology.ensureRunner({
    pipelineId,
    suffix: instance,
    tier: 'shared',
    image: RUNNER_IMAGES.runner,
    configToml,
    extraHosts: ['host.docker.internal:host-gateway'],
  });
  let sha = '';

  const harness: DockerRunnerHarness = {
    mock,
    registryHost,
    hostRegistry: `127.0.0.1:${hostPort}`,
    runner,
    topology,
    async publish(repoDir) {
      ({ sha } = await api.publishRepository({ projectPath: PROJECT, repoDir, ref: 'main', pipelineId: 1 }));
      return sha;
    },
    enqueue(spec) {
      return api.enqueue({
        name: 'job',
        project: { path: PROJECT },
        pipeline: { id: 1 },
        git: { ref: 'main', sha },
        ...spec,
      });
    },
    async finished(jobId, timeoutMs = 120_000) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        for await (const _event of api.events.watch(jobId, { signal: controller.signal })) {
          // until the final state
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      } finally {
        clearTimeout(timer);
      }
      const record = api.job(jobId)!;
      if (!['success', 'failed', 'canceled'].includes(record.state)) {
        const logs = await runnerLogs(runner);
        throw new Error(`job ${jobId} is still ${record.state} after ${timeoutMs} ms; runner log:\n${logs}`);
      }
      return { record, trace: api.trace(jobId).toString('utf8') };
    },
    async run(spec, timeoutMs) {
      return await harness.finished(harness.enqueue(spec).id, timeoutMs);
    },
    async close() {
      await topology.stopPipeline(pipelineId).catch(() => undefined);
      // Job, service and helper containers the runner made carry its labels, not glci's.
      await removeRunnerObjects(orchestrator.docker, [runnerShortToken(token)]);
      await reapGlciObjects(orchestrator.docker, logger, { instance }, { all: true }).catch(() => undefined);
      // Images the host's dockerd pulled from this mock's registry.
      for (const image of await orchestrator.docker.listImages()) {
        if (!image.RepoTags?.some((tag) => tag.startsWith(`127.0.0.1:${hostPort}/`))) continue;
        await orchestrator.docker
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
      await new Promise<void>((resolve) => loopback.close(() => resolve()));
      await mock.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => harness.close(),
  };
  return harness;
}

async function runnerLogs(runner: StartedContainer): Promise<string> {
  try {
    const chunks: string[] = [];
    for await (const chunk of await runner.logs({ follow: false })) chunks.push(String(chunk));
    return chunks.join('').slice(-8000);
  } catch (error) {
    return `(no logs: ${String(error)})`;
  }
}
