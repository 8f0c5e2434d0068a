import { describe, expect, it } from 'vitest';
import { toCreateOptions } from './container-spec.js';
import { MOCK_READY_LINE, mockContainerSidePort, mockContainerSpec } from './mock-container.js';

describe('mockContainerSpec', () => {
  const volumes = {
    registry: 'glci-registry',
    registryCa: 'glci-registry-ca',
    cache: 'glci-cache',
    data: 'glci-mock-data',
  };

  it('publishes the port on 127.0.0.1 only by default, mounts the volumes, runs no health check', () => {
    const spec = mockContainerSpec({
      mock: { image: 'glci:local' },
      name: 'glci-mock',
      port: 39741,
      labels: {},
      volumes,
    });
    expect(spec.ports).toEqual([{ containerPort: 39741, hostPort: 39741, hostIp: '127.0.0.1' }]);
    expect(spec.mounts?.map((m) => `${m.source}:${m.target}`)).toEqual([
      'glci-registry:/registry',
      'glci-registry-ca:/registry-ca',
      'glci-cache:/cache',
      'glci-mock-data:/data',
    ]);
    // Not even the image's own (glci-mock healthcheck): Docker would start a Node process in the
    // container every interval for as long as it lives. Readiness is its URL line on stdout.
    expect(toCreateOptions(spec).Healthcheck?.Test).toEqual(['NONE']);
    expect(MOCK_READY_LINE.test('http://0.0.0.0:39741')).toBe(true);
    expect(MOCK_READY_LINE.test('2026-12-07 16:30:00 info listening')).toBe(false);
    expect(spec.env).toEqual({
      GLCI_MOCK_HOST: '0.0.0.0',
      GLCI_MOCK_PORT: '39741',
      GLCI_MOCK_STORAGE: '/registry',
      GLCI_MOCK_CACHE_DIR: '/cache',
      GLCI_MOCK_DATA_DIR: '/data',
      // The daemon switches push-through through the internal API: no file to poll every 2 s.
      GLCI_MOCK_PUSH_THROUGH_FILE: '',
    });
  });

  it('publishes on the bridge gateway too when given, for job containers (host.docker.internal), onto a port of its own inside', () => {
    const spec = mockContainerSpec({
      mock: { image: 'glci:local' },
      name: 'glci-mock',
      port: 39741,
      labels: {},
      volumes,
      gatewayIp: '172.17.0.1',
    });
    // Same host port on both addresses; inside, the gateway's lands on 39742, where the mock
    // tells other containers from the host (they read the registry with a job token).
    expect(spec.ports).toEqual([
      { containerPort: 39741, hostPort: 39741, hostIp: '127.0.0.1' },
      { containerPort: 39742, hostPort: 39741, hostIp: '172.17.0.1' },
    ]);
    expect(spec.env).toMatchObject({ GLCI_MOCK_PORT: '39741', GLCI_MOCK_CONTAINER_PORT: '39742' });
    expect(mockContainerSidePort(65_535)).toBe(65_534);
  });

  it('takes the image, command, environment and health check from the options', () => {
    const spec = mockContainerSpec({
      mock: { image: 'mock:2', cmd: ['serve'], env: { A: 'b' }, healthcheck: 'true' },
      name: 'm',
      port: 1,
      labels: { x: 'y' },
      volumes,
    });
    expect(spec).toMatchObject({
      image: 'mock:2',
      cmd: ['serve'],
      env: { A: 'b', GLCI_MOCK_PORT: '1' },
      labels: { x: 'y' },
    });
    expect(spec.healthcheck).toMatchObject({ command: 'true', intervalMs: 500 });
  });
});
