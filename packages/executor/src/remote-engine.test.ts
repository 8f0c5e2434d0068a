import { parseConfig, resolveNetwork } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { isOtherEngine, isRemoteEngine } from './remote-engine.js';

const network = (host: string) =>
  resolveNetwork(parseConfig(`[docker]\nhost = "${host}"\n`, { env: {} }), {}, '/nonexistent-home');

describe('which engines get images sent and the mock reached through docker exec', () => {
  it('sends images to every engine but the local default socket, and tunnels only to remote ones', () => {
    expect([
      isOtherEngine(network('unix:///var/run/docker.sock')),
      isRemoteEngine(network('unix:///var/run/docker.sock')),
    ]).toEqual([false, false]);
    // Podman's socket: its own image store, but its published ports are on this machine.
    expect([
      isOtherEngine(network('unix:///run/podman/podman.sock')),
      isRemoteEngine(network('unix:///run/podman/podman.sock')),
    ]).toEqual([true, false]);
    expect([
      isOtherEngine(network('tcp://10.0.0.5:2376')),
      isRemoteEngine(network('tcp://10.0.0.5:2376')),
    ]).toEqual([true, true]);
    expect([
      isOtherEngine(network('ssh://ci@build-host')),
      isRemoteEngine(network('ssh://ci@build-host')),
    ]).toEqual([true, true]);
  });
});
