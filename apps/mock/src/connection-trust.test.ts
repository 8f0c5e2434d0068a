import type { ConnectionInfo } from '@glci/registry';
import { describe, expect, it } from 'vitest';
import {
  anonymousReadsFromHostAndGlciNetworks,
  hexToAddress,
  readPrimaryNetwork,
} from './connection-trust.js';

// The mock on Docker's default bridge (172.17.0.5/16, gateway 172.17.0.1) and on one glci network.
const primary = () => ({
  addresses: new Set(['172.17.0.5']),
  subnets: [['172.17.0.5', 16] as const],
  gateway: '172.17.0.1',
});
const trust = anonymousReadsFromHostAndGlciNetworks({ containerPort: 39742, primary });
const connection = (localAddress: string, localPort: number, remoteAddress: string): ConnectionInfo => ({
  local: `http://${localAddress}:${localPort}`,
  localAddress,
  localPort,
  remoteAddress,
});

describe('anonymous registry reads in the mock container', () => {
  it.each([
    [
      'the host through the loopback publish (Docker proxy or NAT from the gateway)',
      connection('172.17.0.5', 39741, '172.17.0.1'),
      true,
    ],
    ['the host, IPv4-mapped', connection('::ffff:172.17.0.5', 39741, '::ffff:172.17.0.1'), true],
    ['a DinD daemon on its job network (glci-mock alias)', connection('10.99.0.3', 39741, '10.99.0.2'), true],
    ['the health check inside the container', connection('127.0.0.1', 39741, '127.0.0.1'), true],
    [
      'a host port forwarder outside the bridge (rootless, Podman)',
      connection('172.17.0.5', 39741, '10.0.2.100'),
      true,
    ],
    [
      'any container through the gateway publish (host.docker.internal)',
      connection('172.17.0.5', 39742, '172.17.0.1'),
      false,
    ],
    [
      'a job network container through the gateway publish',
      connection('172.17.0.5', 39742, '172.18.0.7'),
      false,
    ],
    [
      'a container on the default bridge, straight to the mock',
      connection('172.17.0.5', 39741, '172.17.0.9'),
      false,
    ],
  ])('%s → %s', (_path, info, expected) => {
    expect(trust(info)).toBe(expected);
  });

  it('trusts a request without a socket (in-process) and a mock outside any container', () => {
    expect(trust(undefined)).toBe(true);
    const outside = anonymousReadsFromHostAndGlciNetworks({ containerPort: 39742, primary: () => undefined });
    expect(outside(connection('192.168.1.4', 39741, '192.168.1.9'))).toBe(true);
    expect(outside(connection('192.168.1.4', 39742, '192.168.1.9'))).toBe(false);
  });

  it('reads the default route the way /proc/net/route writes it', () => {
    expect(hexToAddress('010011AC')).toBe('172.17.0.1');
    const network = readPrimaryNetwork(); // this machine's own table: shape only
    if (network) {
      expect(network.gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(network.addresses.size).toBeGreaterThan(0);
    }
  });
});
