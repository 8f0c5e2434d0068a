import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveContainerSocket, resolveDockerHost } from './docker-host.js';
import { ConfigError } from './errors.js';
import type { GlciConfig } from './schema.js';

function dockerConfig(docker: Partial<GlciConfig['docker']> = {}): Pick<GlciConfig, 'docker'> {
  return { docker: { container_socket: 'auto', privileged: true, reconnect_timeout: 300_000, ...docker } };
}

/** Writes a Docker CLI config directory the way `docker context create` and `docker context use` do. */
function writeDockerContext(
  dockerConfigDir: string,
  name: string,
  endpoint: { Host: string; SkipTLSVerify?: boolean },
  options: { current?: boolean; tls?: boolean } = {},
): void {
  const id = createHash('sha256').update(name).digest('hex');
  const metaDir = path.join(dockerConfigDir, 'contexts', 'meta', id);
  mkdirSync(metaDir, { recursive: true });
  writeFileSync(
    path.join(metaDir, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: { SkipTLSVerify: false, ...endpoint } },
    }),
  );
  if (options.tls)
    mkdirSync(path.join(dockerConfigDir, 'contexts', 'tls', id, 'docker'), { recursive: true });
  if (options.current) {
    writeFileSync(path.join(dockerConfigDir, 'config.json'), JSON.stringify({ currentContext: name }));
  }
}

describe('resolveDockerHost', () => {
  let dir: string;
  let dockerConfigDir: string;
  let home: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'glci-docker-host-'));
    dockerConfigDir = path.join(dir, 'docker-config');
    home = path.join(dir, 'home');
    mkdirSync(dockerConfigDir);
    mkdirSync(home);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writePem(directory: string, names: readonly string[] = ['ca.pem', 'cert.pem', 'key.pem']) {
    mkdirSync(directory, { recursive: true });
    for (const name of names) writeFileSync(path.join(directory, name), `-----BEGIN ${name}-----\n`);
  }

  it('uses [docker] host first, before DOCKER_HOST or any context', () => {
    writeDockerContext(dockerConfigDir, 'remote', { Host: 'tcp://10.0.0.5:2376' }, { current: true });
    const resolved = resolveDockerHost(
      dockerConfig({ host: 'unix:///run/user/1000/docker.sock' }),
      { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      home,
    );
    expect(resolved).toEqual({ host: 'unix:///run/user/1000/docker.sock', source: 'config' });
  });

  it('lets DOCKER_HOST override the current context, as the Docker CLI does', () => {
    writeDockerContext(dockerConfigDir, 'remote', { Host: 'tcp://10.0.0.5:2376' }, { current: true });
    const resolved = resolveDockerHost(
      dockerConfig(),
      { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST: 'tcp://127.0.0.1:2375', DOCKER_CONTEXT: 'remote' },
      home,
    );
    expect(resolved).toEqual({ host: 'tcp://127.0.0.1:2375', source: 'DOCKER_HOST' });
  });

  it('uses the current context from $DOCKER_CONFIG/config.json without DOCKER_HOST', () => {
    writeDockerContext(dockerConfigDir, 'remote', { Host: 'tcp://10.0.0.5:2376' }, { current: true });
    const resolved = resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home);
    expect(resolved).toEqual({ host: 'tcp://10.0.0.5:2376', source: 'context', context: 'remote' });
  });

  it('finds the Docker config under ~/.docker when DOCKER_CONFIG is unset', () => {
    writeDockerContext(
      path.join(home, '.docker'),
      'rootless',
      { Host: 'unix:///run/user/1000/docker.sock' },
      { current: true },
    );
    expect(resolveDockerHost(dockerConfig(), {}, home)).toEqual({
      host: 'unix:///run/user/1000/docker.sock',
      source: 'context',
      context: 'rootless',
    });
  });

  it('lets DOCKER_CONTEXT pick a context other than the current one', () => {
    writeDockerContext(dockerConfigDir, 'remote', { Host: 'tcp://10.0.0.5:2376' }, { current: true });
    writeDockerContext(dockerConfigDir, 'other', { Host: 'ssh://ada@build-box' });
    const resolved = resolveDockerHost(
      dockerConfig(),
      { DOCKER_CONFIG: dockerConfigDir, DOCKER_CONTEXT: 'other' },
      home,
    );
    expect(resolved).toEqual({ host: 'ssh://ada@build-box', source: 'context', context: 'other' });
  });

  it("takes a context's TLS files, and whether to verify them, from the context store", () => {
    writeDockerContext(dockerConfigDir, 'secure', { Host: 'tcp://10.0.0.5' }, { current: true, tls: true });
    writeDockerContext(dockerConfigDir, 'lax', { Host: 'tcp://10.0.0.6:2376', SkipTLSVerify: true });
    writeDockerContext(dockerConfigDir, 'plain', { Host: 'tcp://10.0.0.7' });
    const tlsDir = path.join(
      dockerConfigDir,
      'contexts',
      'tls',
      createHash('sha256').update('secure').digest('hex'),
      'docker',
    );
    writePem(tlsDir);
    expect(resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home)).toEqual({
      host: 'tcp://10.0.0.5:2376',
      source: 'context',
      context: 'secure',
      tls: {
        verify: true,
        ca: path.join(tlsDir, 'ca.pem'),
        cert: path.join(tlsDir, 'cert.pem'),
        key: path.join(tlsDir, 'key.pem'),
        origin: 'Docker context "secure"',
      },
    });
    expect(
      resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir, DOCKER_CONTEXT: 'lax' }, home).tls,
    ).toEqual({ verify: false, origin: 'Docker context "lax"' });
    // No TLS files and no SkipTLSVerify: plain TCP on the plain port.
    expect(
      resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir, DOCKER_CONTEXT: 'plain' }, home),
    ).toEqual({
      host: 'tcp://10.0.0.7:2375',
      source: 'context',
      context: 'plain',
    });
  });

  it('uses the default socket for the context named "default"', () => {
    writeFileSync(path.join(dockerConfigDir, 'config.json'), JSON.stringify({ currentContext: 'default' }));
    expect(resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home)).toEqual({
      host: 'unix:///var/run/docker.sock',
      source: 'default',
    });
  });

  it('refuses a named context that does not exist, naming where the name came from', () => {
    writeFileSync(path.join(dockerConfigDir, 'config.json'), JSON.stringify({ currentContext: 'deleted' }));
    expect(() => resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home)).toThrow(
      new RegExp(
        `currentContext in ${dockerConfigDir}/config.json: names the Docker context "deleted", which does not exist \\(no .*contexts/meta/[0-9a-f]{64}/meta.json`,
      ),
    );
    expect(() =>
      resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir, DOCKER_CONTEXT: 'nope' }, home),
    ).toThrow(/DOCKER_CONTEXT \(environment\): names the Docker context "nope", which does not exist/);
    try {
      resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
    }
  });

  it('refuses a Docker config.json that is not JSON, naming it', () => {
    writeFileSync(path.join(dockerConfigDir, 'config.json'), '{ not json');
    expect(() => resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home)).toThrow(
      `${dockerConfigDir}/config.json: is not valid JSON`,
    );
  });

  it('takes TLS for DOCKER_HOST from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, each file if present', () => {
    const certs = path.join(dir, 'certs');
    writePem(certs, ['ca.pem']);
    const resolved = resolveDockerHost(
      dockerConfig(),
      {
        DOCKER_CONFIG: dockerConfigDir,
        DOCKER_HOST: 'tcp://10.0.0.5',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: certs,
      },
      home,
    );
    expect(resolved).toEqual({
      host: 'tcp://10.0.0.5:2376',
      source: 'DOCKER_HOST',
      tls: { verify: true, ca: path.join(certs, 'ca.pem'), origin: `DOCKER_CERT_PATH=${certs}` },
    });
  });

  it('reads DOCKER_TLS_VERIFY as the Docker CLI does: any non-empty value, even "0", verifies', () => {
    const env = { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST: 'tcp://10.0.0.5:2376' };
    expect(resolveDockerHost(dockerConfig(), { ...env, DOCKER_TLS_VERIFY: '0' }, home).tls?.verify).toBe(
      true,
    );
    expect(resolveDockerHost(dockerConfig(), { ...env, DOCKER_TLS_VERIFY: '' }, home).tls).toBeUndefined();
    // DOCKER_TLS alone: encrypted, not verified (`docker --tls`); the certificates default to the config dir.
    writePem(dockerConfigDir);
    expect(resolveDockerHost(dockerConfig(), { ...env, DOCKER_TLS: '1' }, home).tls).toEqual({
      verify: false,
      ca: path.join(dockerConfigDir, 'ca.pem'),
      cert: path.join(dockerConfigDir, 'cert.pem'),
      key: path.join(dockerConfigDir, 'key.pem'),
      origin: `the Docker config directory ${dockerConfigDir} (DOCKER_CERT_PATH unset)`,
    });
  });

  it('fills in the port and the scheme as the Docker CLI does', () => {
    const resolve = (DOCKER_HOST: string, extra: Record<string, string> = {}) =>
      resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST, ...extra }, home).host;
    expect(resolve('tcp://build-box')).toBe('tcp://build-box:2375');
    expect(resolve('tcp://build-box', { DOCKER_TLS_VERIFY: '1' })).toBe('tcp://build-box:2376');
    expect(resolve('build-box:2380')).toBe('tcp://build-box:2380');
    expect(resolve('tcp://:2375')).toBe('tcp://localhost:2375');
    expect(resolve('tcp://[::1]')).toBe('tcp://[::1]:2375');
    expect(resolve('unix://')).toBe('unix:///var/run/docker.sock');
    expect(resolve('ssh://ada@build-box:2222')).toBe('ssh://ada@build-box:2222');
    expect(() => resolve('/var/run/docker.sock')).toThrow(
      'DOCKER_HOST="/var/run/docker.sock" (environment): expected a Docker endpoint',
    );
  });

  it('takes TLS for [docker] host from the [docker] tls_* keys, verified unless tls_verify = false', () => {
    const certs = path.join(dir, 'certs');
    writePem(certs);
    const env = { DOCKER_CONFIG: dockerConfigDir, GLCI_HOME: path.join(dir, 'glci'), DOCKER_TLS_VERIFY: '' };
    const withDir = resolveDockerHost(
      dockerConfig({ host: 'tcp://build-box', tls_cert_path: certs }),
      env,
      home,
    );
    expect(withDir).toEqual({
      host: 'tcp://build-box:2376',
      source: 'config',
      tls: {
        verify: true,
        ca: path.join(certs, 'ca.pem'),
        cert: path.join(certs, 'cert.pem'),
        key: path.join(certs, 'key.pem'),
        origin: `[docker] tls_* in ${path.join(dir, 'glci', 'config.toml')}`,
      },
    });
    const own = path.join(dir, 'own-ca.pem');
    writeFileSync(own, 'x');
    expect(
      resolveDockerHost(
        dockerConfig({
          host: 'tcp://build-box:2376',
          tls_cert_path: certs,
          tls_ca_cert: own,
          tls_verify: false,
        }),
        env,
        home,
      ).tls,
    ).toMatchObject({ verify: false, ca: own, cert: path.join(certs, 'cert.pem') });
    expect(
      resolveDockerHost(dockerConfig({ host: 'tcp://build-box:2376', tls_verify: false }), env, home).tls,
    ).toMatchObject({ verify: false });
  });

  it('names the [docker] key whose file cannot be read', () => {
    const env = { DOCKER_CONFIG: dockerConfigDir, GLCI_HOME: path.join(dir, 'glci') };
    const config = dockerConfig({ host: 'tcp://build-box:2376', tls_ca_cert: path.join(dir, 'missing.pem') });
    expect(() => resolveDockerHost(config, env, home)).toThrow(
      `${path.join(dir, 'glci', 'config.toml')}: docker.tls_ca_cert: cannot read ${path.join(dir, 'missing.pem')} (ENOENT): expected a PEM file`,
    );
    expect(() =>
      resolveDockerHost(
        dockerConfig({ host: 'tcp://b:2376', tls_cert_path: path.join(dir, 'nowhere') }),
        env,
        home,
      ),
    ).toThrow(`docker.tls_cert_path: ${path.join(dir, 'nowhere')} does not exist: expected a directory`);
  });

  it('uses the default socket when nothing else is set', () => {
    expect(resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home)).toEqual({
      host: 'unix:///var/run/docker.sock',
      source: 'default',
    });
  });
});

describe('resolveContainerSocket', () => {
  it('mounts the local unix socket the endpoint names', () => {
    expect(
      resolveContainerSocket(dockerConfig(), {
        host: 'unix:///run/user/1000/docker.sock',
        source: 'context',
      }),
    ).toBe('/run/user/1000/docker.sock');
  });

  it('mounts the default socket for a remote daemon', () => {
    expect(
      resolveContainerSocket(dockerConfig(), { host: 'tcp://10.0.0.5:2376', source: 'DOCKER_HOST' }),
    ).toBe('/var/run/docker.sock');
  });

  it('uses the configured socket when it is not "auto"', () => {
    expect(
      resolveContainerSocket(dockerConfig({ container_socket: '/custom.sock' }), {
        host: 'tcp://10.0.0.5:2376',
        source: 'DOCKER_HOST',
      }),
    ).toBe('/custom.sock');
  });
});
