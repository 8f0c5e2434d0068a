import { describe, expect, it } from 'vitest';
import { toCreateOptions } from './container-spec.js';

describe('toCreateOptions', () => {
  it('maps ports, mounts, health check, hosts and the first network', () => {
    const options = toCreateOptions({
      image: 'mock:1',
      name: 'glci-mock',
      labels: { 'dev.glci.managed': 'true' },
      env: { A: '1' },
      ports: [{ containerPort: 39741, hostPort: 39741, hostIp: '127.0.0.1' }],
      mounts: [{ type: 'volume', source: 'glci-registry', target: '/registry' }],
      healthcheck: { command: 'true', intervalMs: 500 },
      extraHosts: ['host.docker.internal:host-gateway'],
      networks: [{ name: 'glci-net-1', aliases: ['glci-mock'] }, { name: 'other' }],
      privileged: true,
    });
    expect(options).toMatchObject({
      Image: 'mock:1',
      name: 'glci-mock',
      Env: ['A=1'],
      ExposedPorts: { '39741/tcp': {} },
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 500_000_000 },
      HostConfig: {
        Privileged: true,
        PortBindings: { '39741/tcp': [{ HostIp: '127.0.0.1', HostPort: '39741' }] },
        Mounts: [{ Type: 'volume', Source: 'glci-registry', Target: '/registry', ReadOnly: false }],
        ExtraHosts: ['host.docker.internal:host-gateway'],
        NetworkMode: 'glci-net-1',
      },
      NetworkingConfig: { EndpointsConfig: { 'glci-net-1': { Aliases: ['glci-mock'] } } },
    });
    expect(Object.keys(options.NetworkingConfig?.EndpointsConfig ?? {})).toEqual(['glci-net-1']);
  });

  it('runs an argument-list health check without a shell (CMD), a string through the shell (CMD-SHELL)', () => {
    const direct = toCreateOptions({
      image: 'mock:1',
      labels: {},
      healthcheck: { command: ['glci-mock', 'healthcheck'] },
    });
    expect(direct.Healthcheck?.Test).toEqual(['CMD', 'glci-mock', 'healthcheck']);
    const shell = toCreateOptions({
      image: 'mock:1',
      labels: {},
      healthcheck: { command: 'wget -q -O- localhost' },
    });
    expect(shell.Healthcheck?.Test).toEqual(['CMD-SHELL', 'wget -q -O- localhost']);
  });
});
