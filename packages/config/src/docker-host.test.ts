import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveContainerSocket, resolveDockerHost } from './docker-host.js';
import type { GlciConfig } from './schema.js';

function dockerConfig(docker: Partial<GlciConfig['docker']> = {}): Pick<GlciConfig, 'docker'> {
  return { docker: { container_socket: 'auto', privileged: true, ...docker } };
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

  it('uses [docker] host first, before any context or DOCKER_HOST', () => {
    writeDockerContext(dockerConfigDir, 'remote', { Host: 'tcp://10.0.0.5:2376' }, { current: true });
    const resolved = resolveDockerHost(
      dockerConfig({ host: 'unix:///run/user/1000/docker.sock' }),
      { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      home,
    );
    expect(resolved).toEqual({ host: 'unix:///run/user/1000/docker.sock', source: 'config' });
  });

  it('uses the current context from $DOCKER_CONFIG/config.json next', () => {
    writeDockerContext(dockerConfigDir, 'remote', { Host: 'tcp://10.0.0.5:2376' }, { current: true });
    const resolved = resolveDockerHost(
      dockerConfig(),
      { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      home,
    );
    expect(resolved).toEqual({ host: 'tcp://10.0.0.5:2376', source: 'context', context: 'remote' });
  });

  it('finds the Docker config under ~/.docker when DOCKER_CONFIG is unset', () => {
    writeDockerContext(
      path.join(home, '.docker'),
      'rootless',
      { Host: 'unix:///run/user/1000/docker.sock' },
      {
        current: true,
      },
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

  it('reports the context TLS files and whether to verify them', () => {
    writeDockerContext(
      dockerConfigDir,
      'secure',
      { Host: 'tcp://10.0.0.5:2376' },
      { current: true, tls: true },
    );
    writeDockerContext(dockerConfigDir, 'lax', { Host: 'tcp://10.0.0.6:2376', SkipTLSVerify: true });
    const id = createHash('sha256').update('secure').digest('hex');
    expect(resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir }, home).tls).toEqual({
      verify: true,
      certPath: path.join(dockerConfigDir, 'contexts', 'tls', id, 'docker'),
    });
    expect(
      resolveDockerHost(dockerConfig(), { DOCKER_CONFIG: dockerConfigDir, DOCKER_CONTEXT: 'lax' }, home).tls,
    ).toEqual({ verify: false });
  });

  it('falls back to DOCKER_HOST when the current context is "default"', () => {
    writeFileSync(path.join(dockerConfigDir, 'config.json'), JSON.stringify({ currentContext: 'default' }));
    const resolved = resolveDockerHost(
      dockerConfig(),
      { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      home,
    );
    expect(resolved).toEqual({ host: 'tcp://127.0.0.1:2375', source: 'DOCKER_HOST' });
  });

  it('falls back to DOCKER_HOST when the named context has no metadata', () => {
    writeFileSync(path.join(dockerConfigDir, 'config.json'), JSON.stringify({ currentContext: 'deleted' }));
    const resolved = resolveDockerHost(
      dockerConfig(),
      { DOCKER_CONFIG: dockerConfigDir, DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      home,
    );
    expect(resolved.source).toBe('DOCKER_HOST');
  });

  it('passes DOCKER_TLS_VERIFY and DOCKER_CERT_PATH along with DOCKER_HOST', () => {
    const resolved = resolveDockerHost(
      dockerConfig(),
      {
        DOCKER_CONFIG: dockerConfigDir,
        DOCKER_HOST: 'tcp://10.0.0.5:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/certs',
      },
      home,
    );
    expect(resolved).toEqual({
      host: 'tcp://10.0.0.5:2376',
      source: 'DOCKER_HOST',
      tls: { verify: true, certPath: '/certs' },
    });
  });

  it('uses the default socket when nothing else is set, ignoring an unreadable config.json', () => {
    writeFileSync(path.join(dockerConfigDir, 'config.json'), '{ not json');
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
