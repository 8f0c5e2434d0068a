import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { formatNetworkText, resolveNetwork } from './network.js';

describe('resolveNetwork', () => {
  // An empty home and Docker config, so no real Docker context on this machine leaks in.
  const home = mkdtempSync(path.join(os.tmpdir(), 'glci-network-'));
  const env = { DOCKER_CONFIG: path.join(home, '.docker') };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('derives the URLs and hosts from the defaults', () => {
    const resolved = resolveNetwork(parseConfig('', { env: {} }), env, home);
    expect(resolved).toEqual({
      docker: {
        host: 'unix:///var/run/docker.sock',
        source: 'default',
        containerSocket: '/var/run/docker.sock',
      },
      mockServer: {
        bind: '0.0.0.0:0',
        port: 39741,
        hostUrl: 'http://127.0.0.1:39741',
        containerUrl: 'http://host.docker.internal:39741',
      },
      registry: {
        bind: '127.0.0.1:0',
        httpBind: '0.0.0.0:0',
        ciRegistry: 'host.docker.internal:39741',
        hostRegistry: '127.0.0.1:39741',
      },
      containerHost: 'host.docker.internal',
      hostGateway: 'host-gateway',
      hostGatewayConfigured: 'auto',
      extraHosts: ['host.docker.internal:host-gateway'],
      daemonSocket: '~/.glci/daemon.sock',
    });
  });

  it('follows the configured port, container host, gateway and extra hosts', () => {
    const config = parseConfig(
      [
        '[docker]',
        'host = "tcp://127.0.0.1:2375"',
        '[network]',
        'mock_server_port = 5000',
        'container_host = "glci.internal"',
        'host_gateway = "172.17.0.1"',
        '[network.extra_hosts]',
        'entries = ["git.corp:10.0.0.7"]',
      ].join('\n'),
      { env: {} },
    );
    const resolved = resolveNetwork(config, env, home);
    expect(resolved.docker).toEqual({
      host: 'tcp://127.0.0.1:2375',
      source: 'config',
      containerSocket: '/var/run/docker.sock',
    });
    expect(resolved.mockServer.hostUrl).toBe('http://127.0.0.1:5000');
    expect(resolved.mockServer.containerUrl).toBe('http://glci.internal:5000');
    expect(resolved.registry.ciRegistry).toBe('glci.internal:5000');
    expect(resolved.hostGateway).toBe('172.17.0.1');
    expect(resolved.extraHosts).toEqual(['glci.internal:172.17.0.1', 'git.corp:10.0.0.7']);
  });
});

describe('formatNetworkText', () => {
  it('prints one aligned row per setting, naming where the Docker host came from', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'glci-network-'));
    try {
      const text = formatNetworkText(
        resolveNetwork(parseConfig('', { env: {} }), { DOCKER_CONFIG: path.join(home, '.docker') }, home),
      );
      expect(text).toBe(
        [
          'docker host             unix:///var/run/docker.sock (from default)',
          'container socket        /var/run/docker.sock',
          'mock server bind        0.0.0.0:0',
          'mock server port        39741',
          'mock URL (host)         http://127.0.0.1:39741',
          'mock URL (containers)   http://host.docker.internal:39741',
          'CI_REGISTRY             host.docker.internal:39741',
          'registry (host daemon)  127.0.0.1:39741',
          'registry bind           127.0.0.1:0',
          'registry HTTP bind      0.0.0.0:0',
          'container host          host.docker.internal',
          'host gateway            host-gateway (configured: auto)',
          'extra hosts             host.docker.internal:host-gateway',
          'daemon socket           ~/.glci/daemon.sock',
          '',
        ].join('\n'),
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('names the Docker context the host came from', () => {
    const text = formatNetworkText({
      ...resolveNetwork(parseConfig('', { env: {} }), { DOCKER_HOST: 'tcp://x:1' }, '/nonexistent'),
      docker: {
        host: 'ssh://ada@box',
        source: 'context',
        context: 'box',
        containerSocket: '/var/run/docker.sock',
      },
    });
    expect(text.split('\n')[0]).toBe('docker host             ssh://ada@box (from context box)');
  });
});
