import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger, resolveDockerHost } from '@glci/config';
import { freePort, requireDocker } from '@glci/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectDocker } from './connection.js';
import { DockerConnectionError } from './errors.js';
import { TRANSPORTS } from './test-support/docker-env.js';

const logger = createSilentLogger();

beforeAll(async () => {
  await requireDocker();
});

describe.each(TRANSPORTS)('connecting over $transport', ({ host }) => {
  it('negotiates the API version with the daemon', async () => {
    const connection = await connectDocker({ host, source: 'config' }, { logger });
    expect(connection.apiVersion).toMatch(/^1\.\d+$/);
    expect(connection.serverVersion).toMatch(/^\d+\.\d+/);
    expect((connection.docker.modem as { version?: string }).version).toBe(`v${connection.apiVersion}`);
    await expect(connection.docker.ping()).resolves.toBeTruthy();
  });

  it('follows resolveDockerHost: DOCKER_HOST when neither config nor context names a host', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'glci-home-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const endpoint = resolveDockerHost(
      { docker: { container_socket: 'auto', privileged: true, reconnect_timeout: 300_000 } },
      { DOCKER_HOST: host },
      home,
    );
    expect(endpoint).toEqual({ host, source: 'DOCKER_HOST' });
    const connection = await connectDocker(endpoint, { logger, env: {} });
    expect(connection.serverVersion).toBeTruthy();
  });
});

describe('endpoint resolution', () => {
  it('uses the active Docker context when DOCKER_HOST is unset', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'glci-home-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const dockerConfig = path.join(home, '.docker');
    const context = 'glci-test-tcp';
    const meta = path.join(dockerConfig, 'contexts/meta', createHash('sha256').update(context).digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ currentContext: context }));
    writeFileSync(
      path.join(meta, 'meta.json'),
      JSON.stringify({
        Name: context,
        Endpoints: { docker: { Host: 'tcp://127.0.0.1:2375', SkipTLSVerify: false } },
      }),
    );
    const endpoint = resolveDockerHost(
      { docker: { container_socket: 'auto', privileged: true, reconnect_timeout: 300_000 } },
      {},
      home,
    );
    expect(endpoint).toMatchObject({ host: 'tcp://127.0.0.1:2375', source: 'context', context });
    // The context has no TLS material (contexts/tls/...), so it is plain HTTP, as for the Docker CLI.
    const connection = await connectDocker(endpoint, { logger, env: { DOCKER_CONFIG: dockerConfig } });
    expect(connection.serverVersion).toBeTruthy();
  });
});

describe('connection failures', () => {
  it('says the daemon is not running when the socket does not exist', async () => {
    const host = `unix://${path.join(os.tmpdir(), `glci-no-such-${process.pid}.sock`)}`;
    const failure = connectDocker({ host, source: 'config' }, { logger });
    await expect(failure).rejects.toBeInstanceOf(DockerConnectionError);
    await expect(failure).rejects.toMatchObject({ problem: 'not-running' });
    await expect(failure).rejects.toThrow(/the Docker daemon is not running: nothing listens on/);
  });

  it('says no daemon answers at a TCP address that refuses connections', async () => {
    const host = `tcp://127.0.0.1:${await freePort()}`;
    await expect(connectDocker({ host, source: 'config' }, { logger })).rejects.toMatchObject({
      problem: 'not-running',
      message: expect.stringContaining(`${host}: connect: connection refused`),
    });
  });

  it('says the daemon does not speak TLS when TLS is asked of a plain port', async () => {
    await expect(
      connectDocker(
        { host: 'tcp://127.0.0.1:2375', source: 'config', tls: { verify: true, origin: 'test' } },
        { logger },
      ),
    ).rejects.toMatchObject({
      problem: 'tls',
      message: expect.stringContaining(
        'tcp://127.0.0.1:2375: TLS verification: the daemon does not speak TLS',
      ),
    });
  });

  it('reports unusable TLS material as a TLS problem', async () => {
    const certPath = mkdtempSync(path.join(os.tmpdir(), 'glci-certs-'));
    onTestFinished(() => rmSync(certPath, { recursive: true, force: true }));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(certPath, name), '');
    const file = (name: string) => path.join(certPath, name);
    await expect(
      connectDocker(
        {
          host: 'tcp://127.0.0.1:2375',
          source: 'config',
          tls: {
            verify: true,
            ca: file('ca.pem'),
            cert: file('cert.pem'),
            key: file('key.pem'),
            origin: 'test',
          },
        },
        { logger },
      ),
    ).rejects.toMatchObject({
      problem: 'tls',
      message: expect.stringMatching(/^tcp:\/\/127.0.0.1:2375: TLS verification/),
    });
  });
});
