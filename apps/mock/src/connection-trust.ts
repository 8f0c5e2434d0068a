import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { ConnectionInfo } from '@glci/registry';

/**
 * Which connections may read the embedded registry without credentials, when the mock runs in
 * the container `glci run` starts (see `mockContainerSpec`). The container is reached four ways:
 *
 * | path | arrives at | trusted |
 * | --- | --- | --- |
 * | the host (its dockerd pulling job images, `glci registry pull`, curl) through the port published on 127.0.0.1 | port P, from the bridge's gateway (Docker's proxy or NAT) | yes |
 * | DinD daemons and runners on glci's own networks (`glci-mock` alias) | port P, on an address of that network | yes |
 * | any container through the port published on the bridge gateway (`host.docker.internal`) | `containerPort`, from anywhere | no |
 * | a container on the default bridge straight to the mock's address | port P, from an address of the bridge | no |
 *
 * Job containers use the third path and have `CI_JOB_TOKEN` for reads, as on GitLab
 * (`docker login -u gitlab-ci-token`); so anonymous reads are refused exactly where any container
 * of the host could come from. What is left: a container in the host's network namespace
 * (`--network host`) is the host here; and a container with Docker's default `NET_RAW` capability
 * on the default bridge could spoof the gateway's address by ARP (a weakness of Docker's default
 * bridge, not of the registry).
 */
export interface PrimaryNetwork {
  /** The container's addresses on the network its default route goes through (Docker's default bridge). */
  readonly addresses: ReadonlySet<string>;
  /** That network's prefixes, `[address, prefix length]`. */
  readonly subnets: ReadonlyArray<readonly [string, number]>;
  readonly gateway: string;
}

export interface ConnectionTrustOptions {
  /** The container port the bridge-gateway publish maps to: connections there come from containers. */
  readonly containerPort: number;
  /** The default-route network; read from `/proc/net/route` and the interfaces when not given. */
  readonly primary?: () => PrimaryNetwork | undefined;
}

/** A predicate for `jobTokenAuth({ anonymousReads })`: whether a connection may read anonymously. */
export function anonymousReadsFromHostAndGlciNetworks(
  options: ConnectionTrustOptions,
): (connection: ConnectionInfo | undefined) => boolean {
  let known: PrimaryNetwork | undefined;
  const primary = () => {
    known ??= (options.primary ?? readPrimaryNetwork)();
    return known;
  };
  return (connection) => {
    if (!connection) return true; // an in-process request, no socket
    if (connection.localPort === options.containerPort) return false;
    const network = primary();
    if (!network) return true; // not in a container: nothing to tell apart
    const local = plainAddress(connection.localAddress);
    // Arrived on another network: glci's pipeline and DinD job networks, or loopback.
    if (!network.addresses.has(local)) return true;
    const remote = plainAddress(connection.remoteAddress);
    if (remote === network.gateway) return true; // the host, through the loopback publish
    // A container on the same bridge, straight to this address; anything else was forwarded from
    // outside the bridge (a rootless or Podman port forwarder), i.e. from the host.
    return !network.subnets.some(([address, length]) => sameSubnet(remote, address, length));
  };
}

/** The network of the default route in `/proc/net/route`, with this container's addresses on it. */
export function readPrimaryNetwork(): PrimaryNetwork | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, gateway] = line.trim().split(/\s+/);
    if (!iface || destination !== '00000000' || !gateway) continue;
    const infos = (networkInterfaces()[iface] ?? []).filter((info) => info.family === 'IPv4');
    if (infos.length === 0) return undefined;
    return {
      addresses: new Set(infos.map((info) => info.address)),
      subnets: infos.map((info) => [info.address, Number(info.cidr?.split('/')[1] ?? 32)] as const),
      gateway: hexToAddress(gateway),
    };
  }
  return undefined;
}

/** `/proc/net/route` writes IPv4 addresses as little-endian hex. */
export function hexToAddress(hex: string): string {
  const value = Number.parseInt(hex, 16);
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff].join('.');
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function sameSubnet(a: string, b: string, length: number): boolean {
  const toNumber = (address: string) =>
    address.split('.').reduce((total, part) => total * 256 + Number(part), 0) >>> 0;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(a) || !/^\d+\.\d+\.\d+\.\d+$/.test(b)) return false;
  const mask = length === 0 ? 0 : (~0 << (32 - length)) >>> 0;
  return (toNumber(a) & mask) === (toNumber(b) & mask);
}
