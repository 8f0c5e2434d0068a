import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  classifyConnectionError,
  compareApiVersions,
  connectDocker,
  dockerodeOptions,
} from './connection.js';
import { SshDialAgent, sshDialArguments, sshDialError } from './engine/ssh-dial.js';

const errno = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('dockerodeOptions', () => {
  it('maps a unix socket and clears whatever DOCKER_HOST would add', () => {
    const options = dockerodeOptions({ host: 'unix:///run/user/docker.sock', source: 'config' });
    expect(options.socketPath).toBe('/run/user/docker.sock');
    expect(options.host).toBeUndefined();
    expect('host' in options).toBe(true);
  });

  it('maps tcp:// to plain HTTP on 2375 by default', () => {
    expect(dockerodeOptions({ host: 'tcp://10.0.0.5', source: 'config' })).toMatchObject({
      host: '10.0.0.5',
      port: 2375,
      protocol: 'http',
    });
  });

  it('maps tcp:// with TLS to HTTPS through an agent holding the resolved files', () => {
    const certPath = mkdtempSync(path.join(os.tmpdir(), 'glci-certs-'));
    onTestFinished(() => rmSync(certPath, { recursive: true, force: true }));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(certPath, name), name);
    const options = dockerodeOptions({
      host: 'tcp://build:2376',
      tls: {
        verify: true,
        ca: path.join(certPath, 'ca.pem'),
        cert: path.join(certPath, 'cert.pem'),
        key: path.join(certPath, 'key.pem'),
        origin: 'test',
      },
    });
    expect(options).toMatchObject({ host: 'build', port: 2376, protocol: 'https' });
    const agent = options.agent as https.Agent;
    expect(agent).toBeInstanceOf(https.Agent);
    expect(String(agent.options.ca)).toBe('ca.pem');
    expect(String(agent.options.cert)).toBe('cert.pem');
    expect(String(agent.options.key)).toBe('key.pem');
    expect(agent.options.rejectUnauthorized).toBe(true);
    const lax = dockerodeOptions({ host: 'tcp://build:2376', tls: { verify: false, origin: 'test' } });
    expect((lax.agent as https.Agent).options.rejectUnauthorized).toBe(false);
  });

  it('says which TLS file cannot be read, and where the setting came from', () => {
    expect(() =>
      dockerodeOptions({
        host: 'tcp://build:2376',
        tls: { verify: true, ca: '/nonexistent/ca.pem', origin: 'DOCKER_CERT_PATH=/nonexistent' },
      }),
    ).toThrow(
      'tcp://build:2376: TLS: cannot read the CA certificate /nonexistent/ca.pem (from DOCKER_CERT_PATH=/nonexistent): ENOENT',
    );
  });

  it('maps ssh:// to an agent that runs `ssh … docker system dial-stdio` as the Docker CLI does', () => {
    const options = dockerodeOptions({ host: 'ssh://ci@build.example:2222' });
    expect(options.agent).toBeInstanceOf(SshDialAgent);
    expect(options).toMatchObject({ protocol: 'http' });
    expect(
      sshDialArguments({
        endpoint: 'ssh://ci@build.example:2222',
        destination: { user: 'ci', host: 'build.example', port: 2222 },
        logger: createSilentLogger(),
      }),
    ).toEqual([
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=15',
      '-o',
      'ServerAliveInterval=15',
      '-o',
      'ServerAliveCountMax=3',
      '-l',
      'ci',
      '-p',
      '2222',
      '-T',
      '--',
      'build.example',
      'docker',
      'system',
      'dial-stdio',
    ]);
    (options.agent as SshDialAgent).destroy();
  });

  it('lets an idle ssh connection not hold the process open, as http.Agent unrefs a kept socket', async () => {
    // A stand-in for an ssh process that stays connected (the real one is run against the
    // remote-host fixtures in remote-engine.docker.test.ts and apps/glci's run-remote test).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-fake-ssh-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const command = path.join(dir, 'ssh');
    writeFileSync(command, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const agent = new SshDialAgent({
      endpoint: 'ssh://build',
      destination: { host: 'build' },
      logger: createSilentLogger(),
      sshCommand: command,
      controlDir: null,
    });
    onTestFinished(() => agent.destroy());
    const holding = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'ProcessWrap' || kind === 'PipeWrap').length;
    const before = holding();
    const stream = agent.createConnection() as unknown as { ref(): void; unref(): void; destroy(): void };
    onTestFinished(() => stream.destroy());
    expect(holding()).toBeGreaterThan(before);
    stream.unref();
    expect(holding()).toBe(before);
    stream.ref();
    expect(holding()).toBeGreaterThan(before);
  });

  it('refuses endpoints it cannot speak', () => {
    expect(() => dockerodeOptions({ host: 'npipe:////./pipe/docker_engine', source: 'config' })).toThrow(
      /unsupported Docker endpoint/,
    );
  });
});

describe('classifyConnectionError', () => {
  it.each([
    [
      'unix:///var/run/docker.sock',
      'ENOENT',
      'not-running',
      /^unix:\/\/\/var\/run\/docker.sock: connect: the Docker daemon is not running: nothing listens on \/var\/run\/docker.sock/,
    ],
    [
      'unix:///var/run/docker.sock',
      'EACCES',
      'permission',
      /connect: permission denied on \/var\/run\/docker.sock.*docker" group/,
    ],
    [
      'tcp://10.0.0.5:2375',
      'ECONNREFUSED',
      'not-running',
      /^tcp:\/\/10.0.0.5:2375: connect: connection refused/,
    ],
    [
      'tcp://10.0.0.5:2375',
      'EHOSTUNREACH',
      'unreachable',
      /^tcp:\/\/10.0.0.5:2375: connect: cannot reach the host/,
    ],
    [
      'tcp://10.0.0.5:2376',
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'tls',
      /TLS verification: the daemon does not speak TLS/,
    ],
    [
      'tcp://10.0.0.5:2376',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'tls',
      /TLS verification: the daemon's certificate is not trusted/,
    ],
    [
      'tcp://10.0.0.5:2376',
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'tls',
      /TLS verification: the daemon refused glci's client certificate/,
    ],
  ])('%s %s → %s', (host, code, problem, message) => {
    const error = classifyConnectionError(host, errno(code));
    expect(error.problem).toBe(problem);
    expect(error.message).toMatch(message);
    expect(error.host).toBe(host);
  });

  it('names where the TLS settings came from', () => {
    const error = classifyConnectionError('tcp://b:2376', errno('SELF_SIGNED_CERT_IN_CHAIN'), {
      verify: true,
      origin: 'DOCKER_CERT_PATH=/certs',
    });
    expect(error.message).toContain('(TLS settings from DOCKER_CERT_PATH=/certs)');
  });

  it('recognises a plain HTTP request refused by a TLS port', () => {
    const refused = Object.assign(new Error('(HTTP code 400) unexpected'), {
      statusCode: 400,
      json: Buffer.from('Client sent an HTTP request to an HTTPS server.\n'),
    });
    expect(classifyConnectionError('tcp://b:2376', refused)).toMatchObject({
      problem: 'tls',
      message: expect.stringContaining('the daemon expects TLS on this port'),
    });
  });
});

describe('sshDialError', () => {
  const endpoint = 'ssh://ada@build:2222';
  it.each([
    [
      'ada@build: Permission denied (publickey).',
      'ssh-auth',
      /^ssh:\/\/ada@build:2222: ssh authentication failed: ada@build: Permission denied \(publickey\)\. \(exit code 255\)\..*`ssh ada@build -p 2222`/,
    ],
    [
      'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.',
      'ssh-host-key',
      /ssh host key verification failed/,
    ],
    [
      'ssh: connect to host build port 2222: Connection refused',
      'unreachable',
      /connect: cannot reach the ssh server/,
    ],
    [
      'ssh: Could not resolve hostname build: Name or service not known',
      'unreachable',
      /cannot reach the ssh server/,
    ],
    ['sh: 1: docker: not found', 'ssh', /the remote side has no docker command/],
    [
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      'not-running',
      /not running/,
    ],
  ])('%s → %s', (stderr, problem, message) => {
    const error = sshDialError(endpoint, { code: 255, signal: null, stderr });
    expect(error.problem).toBe(problem);
    expect(error.message).toMatch(message);
  });

  it('says when the OpenSSH client is missing', () => {
    const spawnError = Object.assign(new Error('spawn ssh ENOENT'), { code: 'ENOENT' });
    expect(sshDialError(endpoint, { code: null, signal: null, stderr: '', spawnError }).message).toContain(
      'the OpenSSH client "ssh" is not installed',
    );
  });
});

describe('compareApiVersions', () => {
  it('compares numerically', () => {
    expect(compareApiVersions('1.41', '1.9')).toBeGreaterThan(0);
    expect(compareApiVersions('1.41', '1.41')).toBe(0);
    expect(compareApiVersions('1.40', '1.41')).toBeLessThan(0);
  });
});

describe('connectDocker against a daemon older than API 1.41', () => {
  it('refuses it, naming the endpoint, the step and the versions', async () => {
    // A stand-in: no Docker older than 20.10 can be installed on these machines, so a loopback
    // server answers /_ping and /version the way Docker 19.03 does.
    const server = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.endsWith('/_ping')) res.end('OK');
      else if (req.url?.endsWith('/version'))
        res.end(JSON.stringify({ Version: '19.03.15', ApiVersion: '1.40' }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const host = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
    await expect(
      connectDocker({ host, source: 'config' }, { logger: createSilentLogger() }),
    ).rejects.toMatchObject({
      name: 'DockerConnectionError',
      problem: 'api-version',
      message: `${host}: API version: the daemon (19.03.15) speaks Engine API 1.40; glci needs 1.41 (Docker 20.10) or newer. Upgrade Docker on that host`,
    });
  });
});
