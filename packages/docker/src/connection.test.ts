import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { classifyConnectionError, compareApiVersions, dockerodeOptions } from './connection.js';

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

  it('maps tcp:// with DOCKER_TLS_VERIFY to HTTPS with the client certificates from DOCKER_CERT_PATH', () => {
    const certPath = mkdtempSync(path.join(os.tmpdir(), 'glci-certs-'));
    onTestFinished(() => rmSync(certPath, { recursive: true, force: true }));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(certPath, name), name);
    const options = dockerodeOptions({
      host: 'tcp://build:2376',
      source: 'DOCKER_HOST',
      tls: { verify: true, certPath },
    });
    expect(options).toMatchObject({ host: 'build', port: 2376, protocol: 'https' });
    expect(String(options.ca)).toBe('ca.pem');
    expect(String(options.cert)).toBe('cert.pem');
    expect(String(options.key)).toBe('key.pem');
  });

  it('takes a context TLS material from contexts/tls/<sha256 of the name>/docker', () => {
    const dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'glci-docker-config-'));
    onTestFinished(() => rmSync(dockerConfig, { recursive: true, force: true }));
    const tlsDir = path.join(
      dockerConfig,
      'contexts/tls',
      createHash('sha256').update('remote').digest('hex'),
      'docker',
    );
    mkdirSync(tlsDir, { recursive: true });
    for (const name of ['ca.pem', 'cert.pem', 'key.pem'])
      writeFileSync(path.join(tlsDir, name), `ctx-${name}`);
    const endpoint = {
      host: 'tcp://build:2376',
      source: 'context',
      context: 'remote',
      tls: { verify: true },
    } as const;
    const options = dockerodeOptions(endpoint, { DOCKER_CONFIG: dockerConfig });
    expect(options).toMatchObject({ protocol: 'https', port: 2376 });
    expect(String(options.ca)).toBe('ctx-ca.pem');
    expect(
      dockerodeOptions({ ...endpoint, context: 'plain' }, { DOCKER_CONFIG: dockerConfig }),
    ).toMatchObject({
      protocol: 'http',
    });
  });

  it('maps ssh:// with the user, port and the SSH agent', () => {
    expect(
      dockerodeOptions(
        { host: 'ssh://ci@build.example:2222', source: 'config' },
        { SSH_AUTH_SOCK: '/tmp/agent' },
      ),
    ).toMatchObject({
      protocol: 'ssh',
      host: 'build.example',
      port: 2222,
      username: 'ci',
      sshOptions: { agent: '/tmp/agent' },
    });
    expect(dockerodeOptions({ host: 'ssh://build.example', source: 'config' }, {})).toMatchObject({
      port: 22,
    });
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
      /not running: nothing listens on \/var\/run\/docker.sock/,
    ],
    [
      'unix:///var/run/docker.sock',
      'EACCES',
      'permission',
      /permission denied on \/var\/run\/docker.sock.*docker" group/,
    ],
    [
      'tcp://10.0.0.5:2375',
      'ECONNREFUSED',
      'not-running',
      /no Docker daemon answers at tcp:\/\/10.0.0.5:2375/,
    ],
    ['tcp://10.0.0.5:2375', 'EHOSTUNREACH', 'unreachable', /cannot reach the Docker host/],
    ['ssh://ci@build', 'ENOTFOUND', 'unreachable', /cannot reach the Docker host ssh:\/\/ci@build/],
    ['tcp://10.0.0.5:2376', 'ERR_SSL_WRONG_VERSION_NUMBER', 'tls', /TLS handshake/],
  ])('%s %s → %s', (host, code, problem, message) => {
    const error = classifyConnectionError(host, errno(code));
    expect(error.problem).toBe(problem);
    expect(error.message).toMatch(message);
    expect(error.host).toBe(host);
  });
});

describe('compareApiVersions', () => {
  it('compares numerically', () => {
    expect(compareApiVersions('1.41', '1.9')).toBeGreaterThan(0);
    expect(compareApiVersions('1.41', '1.41')).toBe(0);
    expect(compareApiVersions('1.40', '1.41')).toBeLessThan(0);
  });
});
