import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { configSchema, createSilentLogger, resolveDockerHost, resolveNetwork } from '@glci/config';
import {
  createCertificateAuthority,
  createClientCertificate,
  ensureMockImage,
  ensureTestImages,
  freePort,
  type RemoteDockerHost,
  requireDocker,
  type SshDockerHost,
  startSshAgent,
  startSshDockerHost,
  startTlsDockerHost,
  TEST_IMAGES,
  type TlsDockerHost,
} from '@glci/testkit';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, type DockerConnection } from './connection.js';
import { DockerOrchestrator } from './docker-orchestrator.js';
import { DockerConnectionError } from './errors.js';
import { createExecAgent } from './exec-tunnel/exec-agent.js';
import { type ImageTransferProgress, sendImages } from './image-transfer.js';
import { MOCK_TUNNEL_COMMAND } from './mock-container.js';
import { GlciTopology } from './topology.js';

/*
 * The proof that glci's engine layer drives a remote Docker host: two "remote" hosts on this
 * machine (privileged containers running their own dockerd, @glci/testkit), one reached over TLS
 * on a loopback port, one over ssh://. Everything below runs in their dockerd; the local engine's
 * glci containers of this test's instance are counted before and after (zero), and every container
 * id the remote engine reports is looked up on the local engine (absent).
 */

const logger = createSilentLogger();
const instance = `test-remote-${randomBytes(4).toString('hex')}`;
const labels = { 'dev.glci.managed': 'true', 'dev.glci.instance': instance };
let local: Docker;

async function localGlciContainers(): Promise<number> {
  const filters = JSON.stringify({ label: [`dev.glci.instance=${instance}`] });
  return (await local.listContainers({ all: true, filters })).length;
}

beforeAll(async () => {
  local = await requireDocker();
  await ensureTestImages();
  expect(await localGlciContainers()).toBe(0);
}, 120_000);

afterAll(async () => {
  expect(await localGlciContainers()).toBe(0);
});

interface Fixture {
  readonly kind: 'tls' | 'ssh';
  start(): Promise<RemoteDockerHost>;
  /** Resolves and connects the way a user's configuration would. */
  connect(remote: RemoteDockerHost): Promise<DockerConnection>;
}

const FIXTURES: Fixture[] = [
  {
    kind: 'tls',
    start: startTlsDockerHost,
    // DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, as `docker-machine env` would set them.
    connect: async (remote) => {
      const tls = remote as TlsDockerHost;
      const env = { DOCKER_HOST: tls.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.client.dir };
      const endpoint = resolveDockerHost(
        { docker: { container_socket: 'auto', privileged: true, reconnect_timeout: 300_000 } },
        env,
      );
      expect(endpoint).toMatchObject({ source: 'DOCKER_HOST', tls: { verify: true, ca: tls.client.ca } });
      return connectDocker(endpoint, { logger });
    },
  },
  {
    kind: 'ssh',
    start: startSshDockerHost,
    // [docker] host = "ssh://root@127.0.0.1:PORT", with the test's key and known_hosts.
    connect: async (remote) => {
      const ssh = remote as SshDockerHost;
      const endpoint = resolveDockerHost({
        docker: { host: ssh.host, container_socket: 'auto', privileged: true, reconnect_timeout: 300_000 },
      });
      expect(endpoint).toEqual({ host: ssh.host, source: 'config' });
      return connectDocker(endpoint, { logger, sshArgs: ssh.sshArgs });
    },
  },
];

describe.each(FIXTURES)('a remote Docker host over $kind', (fixture) => {
  let remote: RemoteDockerHost;
  let connection: DockerConnection;
  const remoteContainerIds: string[] = [];

  beforeAll(async () => {
    remote = await fixture.start();
    connection = await fixture.connect(remote);
  }, 180_000);

  afterAll(async () => {
    connection?.close();
    await remote?.remove();
    // Nothing the remote engine ran exists on the local engine.
    for (const id of remoteContainerIds) {
      await expect(local.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    }
  }, 120_000);

  it('connects to the dockerd inside the remote host, not the local one', async () => {
    expect(connection.engine).toBe('docker');
    expect(connection.apiVersion).toBe('1.41');
    const [remoteInfo, localInfo] = await Promise.all([connection.docker.info(), local.info()]);
    // dockerd names itself after its host: the fixture container's hostname, its id's first 12 characters.
    expect(remoteInfo.Name).toBe(remote.container.id.slice(0, 12));
    expect(remoteInfo.ID).not.toBe(localInfo.ID);
  });

  it('sends a locally built image the remote lacks, with progress, once', async () => {
    const progress: ImageTransferProgress[] = [];
    const engines = {
      from: { docker: local, host: 'unix:///var/run/docker.sock' },
      to: { docker: connection.docker, host: remote.host },
    };
    const [sent] = await sendImages({
      ...engines,
      images: [TEST_IMAGES.multilayer],
      logger,
      progressIntervalMs: 0,
      onProgress: (event) => progress.push(event),
    });
    const localImage = await local.getImage(TEST_IMAGES.multilayer).inspect();
    expect(sent).toMatchObject({ image: TEST_IMAGES.multilayer, id: localImage.Id, sent: true });
    expect(sent?.bytes).toBeGreaterThan(localImage.Size);
    expect(progress[0]).toMatchObject({ phase: 'sending', bytes: 0, totalBytes: localImage.Size });
    expect(progress.at(-1)).toMatchObject({ phase: 'loaded', bytes: sent?.bytes });
    expect(progress.filter((event) => event.phase === 'sending').length).toBeGreaterThan(2);
    expect((await connection.docker.getImage(TEST_IMAGES.multilayer).inspect()).Id).toBe(localImage.Id);

    const again = await sendImages({ ...engines, images: [TEST_IMAGES.multilayer], logger });
    expect(again).toEqual([{ image: TEST_IMAGES.multilayer, id: localImage.Id, sent: false, bytes: 0 }]);
  }, 120_000);

  it('says which image and which step failed when an image cannot be sent', async () => {
    const missing = `glci-test/not-built-${randomBytes(3).toString('hex')}:1`;
    await expect(
      sendImages({
        from: { docker: local, host: 'unix:///var/run/docker.sock' },
        to: { docker: connection.docker, host: remote.host },
        images: [missing],
        logger,
      }),
    ).rejects.toMatchObject({
      name: 'ImageTransferError',
      step: 'inspect',
      message: `image transfer: ${missing} is not on unix:///var/run/docker.sock, so it cannot be sent to ${remote.host}: build or pull it there first`,
    });
  });

  it('runs a container there, through the orchestrator', async () => {
    await sendImages({
      from: { docker: local, host: 'local' },
      to: { docker: connection.docker, host: remote.host },
      images: [TEST_IMAGES.busybox],
      logger,
    });
    const orchestrator = new DockerOrchestrator({ docker: connection.docker, logger });
    const container = await orchestrator.run({
      image: TEST_IMAGES.busybox,
      name: `glci-t-${fixture.kind}-${randomBytes(3).toString('hex')}`,
      labels,
      cmd: ['sh', '-c', 'echo "hello from $(hostname)"'],
    });
    remoteContainerIds.push(container.id);
    expect(await container.wait()).toMatchObject({ exitCode: 0 });
    const logs = (await container.logs()).read()?.toString('utf8') ?? '';
    expect(logs).toContain(`hello from ${container.id.slice(0, 12)}`);
    expect(await localGlciContainers()).toBe(0);
    await container.stop({ timeoutMs: 0, remove: true });
  }, 60_000);

  it('reaches the mock inside the remote host only through docker exec', async () => {
    const image = await ensureMockImage();
    await sendImages({
      from: { docker: local, host: 'local' },
      to: { docker: connection.docker, host: remote.host },
      images: [image],
      logger,
    });
    // A port nothing listens on here: published on the remote's loopback, it stays unreachable from this machine.
    const port = await freePort();
    const secret = `remote-secret-${randomBytes(4).toString('hex')}`;
    const orchestrator = new DockerOrchestrator({ docker: connection.docker, logger });
    const topology = new GlciTopology({
      orchestrator,
      network: resolveNetwork(configSchema.parse({ network: { mock_server_port: port } }), {}),
      privileged: false,
      logger,
      session: 's-remote',
      instance,
      namePrefix: `glci-t${randomBytes(3).toString('hex')}`,
      mock: {
        image,
        pullPolicy: 'never',
        env: { GLCI_MOCK_SECRET: secret, GLCI_MOCK_UPSTREAMS: '' },
        healthTimeoutMs: 90_000,
      },
    });
    const mock = await topology.ensureMock();
    remoteContainerIds.push(mock.id);
    const published = (await connection.docker.getContainer(mock.id).inspect()).HostConfig.PortBindings;
    expect(published?.[`${port}/tcp`]).toContainEqual({ HostIp: '127.0.0.1', HostPort: String(port) });
    await expect(tcpConnect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const agent = createExecAgent({
      docker: connection.docker,
      container: mock.id,
      command: MOCK_TUNNEL_COMMAND,
      logger,
    });
    try {
      const get = (headers: Record<string, string>) => httpGet(agent, '/internal/health', headers);
      const health = await get({ Authorization: `Bearer ${secret}` });
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
      expect((await get({})).status).toBe(401);
      // Three requests, one after the other, on one kept-alive exec.
      for (let i = 0; i < 3; i++) expect((await get({ Authorization: `Bearer ${secret}` })).status).toBe(200);
      expect(agent.connectionsOpened).toBe(1);
    } finally {
      agent.destroy();
    }
    expect(await localGlciContainers()).toBe(0);
    const found = await orchestrator.find({ instance });
    await orchestrator.reap({ instance }, { all: true });
    expect(found.containers.map((container) => container.id)).toContain(mock.id);
  }, 600_000);
});

describe('clear errors for a remote host', () => {
  let tls: TlsDockerHost;
  let ssh: SshDockerHost;

  beforeAll(async () => {
    [tls, ssh] = await Promise.all([startTlsDockerHost(), startSshDockerHost()]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([tls?.remove(), ssh?.remove()]);
  });

  async function failure(promise: Promise<unknown>): Promise<DockerConnectionError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DockerConnectionError);
    return error as DockerConnectionError;
  }

  it('names TLS verification when the CA did not sign the daemon certificate', async () => {
    const other = await createCertificateAuthority(path.join(tls.dir, 'other-ca'), 'not the daemon CA');
    const error = await failure(
      connectDocker(
        {
          host: tls.host,
          source: 'config',
          tls: { verify: true, ca: other.cert, cert: tls.client.cert, key: tls.client.key, origin: 'test' },
        },
        { logger },
      ),
    );
    expect(error.problem).toBe('tls');
    expect(error.message).toMatch(
      new RegExp(
        `^${escapeRegExp(tls.host)}: TLS verification: the daemon's certificate is not trusted: .*\\(TLS settings from test\\)`,
      ),
    );
  });

  it("names TLS verification when the daemon refuses glci's client certificate", async () => {
    const other = await createCertificateAuthority(path.join(tls.dir, 'stranger-ca'), 'a stranger CA');
    const stranger = await createClientCertificate(other, path.join(tls.dir, 'stranger'));
    const error = await failure(
      connectDocker(
        {
          host: tls.host,
          source: 'config',
          tls: { verify: true, ca: tls.client.ca, cert: stranger.cert, key: stranger.key, origin: 'test' },
        },
        { logger },
      ),
    );
    expect(error.problem).toBe('tls');
    expect(error.message).toMatch(new RegExp(`^${escapeRegExp(tls.host)}: TLS verification: `));
  });

  it('names connect when TLS is missing for a TLS port', async () => {
    const error = await failure(connectDocker({ host: tls.host, source: 'config' }, { logger }));
    expect(error.problem).toBe('tls');
    expect(error.message).toContain(`${tls.host}: connect: the daemon expects TLS on this port`);
  });

  it('names ssh authentication for a key the host does not accept', async () => {
    const wrongKey = path.join(ssh.dir, 'ssh', 'host_ed25519_key');
    const args = [...unshared(ssh), ...ssh.sshArgs.map((arg) => (arg === ssh.identity ? wrongKey : arg))];
    const error = await failure(
      connectDocker({ host: ssh.host, source: 'config' }, { logger, sshArgs: args }),
    );
    expect(error.problem).toBe('ssh-auth');
    expect(error.message).toMatch(
      new RegExp(
        `^${escapeRegExp(ssh.host)}: ssh authentication failed: .*Permission denied \\(publickey\\)`,
      ),
    );
  });

  it('names ssh host key verification for a host whose key is not known', async () => {
    const args = [
      ...unshared(ssh),
      ...ssh.sshArgs.map((arg) =>
        arg.startsWith('UserKnownHostsFile=') ? 'UserKnownHostsFile=/dev/null' : arg,
      ),
    ];
    const error = await failure(
      connectDocker({ host: ssh.host, source: 'config' }, { logger, sshArgs: args }),
    );
    expect(error.problem).toBe('ssh-host-key');
    expect(error.message).toContain(`${ssh.host}: ssh host key verification failed`);
  });

  it("authenticates through the user's ssh agent", async () => {
    await using agent = await startSshAgent([ssh.identity]);
    // No key file at all: only the agent holds the key.
    const args = ['-F', '/dev/null', '-o', `UserKnownHostsFile=${ssh.knownHosts}`, '-o', 'ControlPath=none'];
    const connection = await connectDocker(
      { host: ssh.host, source: 'config' },
      { logger, sshArgs: args, env: { ...process.env, SSH_AUTH_SOCK: agent.socket } },
    );
    try {
      expect((await connection.docker.info()).Name).toBe(ssh.container.id.slice(0, 12));
    } finally {
      connection.close();
    }
  });

  it('names connect for hosts nothing answers on', async () => {
    const port = await freePort();
    const tcp = await failure(
      connectDocker({ host: `tcp://127.0.0.1:${port}`, source: 'config' }, { logger }),
    );
    expect(tcp.message).toBe(
      `tcp://127.0.0.1:${port}: connect: connection refused: is dockerd running and listening there?`,
    );
    const overSsh = await failure(
      connectDocker(
        { host: `ssh://root@127.0.0.1:${port}`, source: 'config' },
        { logger, sshArgs: ssh.sshArgs },
      ),
    );
    expect(overSsh.problem).toBe('unreachable');
    expect(overSsh.message).toMatch(
      new RegExp(`^ssh://root@127.0.0.1:${port}: connect: cannot reach the ssh server: .*Connection refused`),
    );
  });
});

/** Connection sharing off, so that a connection of another test cannot carry this one. */
function unshared(_host: SshDockerHost): string[] {
  return ['-o', 'ControlPath=none'];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

function httpGet(
  agent: ReturnType<typeof createExecAgent>,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'glci-mock', path, agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
