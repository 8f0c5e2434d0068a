import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  buildkitdToml,
  DIND_NETWORK_SETTINGS,
  dindClientEnv,
  dindDaemonConfig,
  dindDaemonJson,
  dindNetworkFlags,
  dindServiceEnv,
} from './dind.js';

describe('DinD configuration', () => {
  it('makes the mock an insecure registry and a mirror in daemon.json', () => {
    expect(JSON.parse(dindDaemonJson('glci-mock:39741'))).toEqual({
      'insecure-registries': ['glci-mock:39741'],
      'registry-mirrors': ['http://glci-mock:39741'],
    });
  });

  it("adds the daemon's other settings but keeps the registry settings glci's", () => {
    const extra = { hosts: ['unix:///var/run/docker.sock'], 'log-level': 'warn' };
    expect(dindDaemonConfig('127.0.0.1:39749', extra)).toEqual({
      hosts: ['unix:///var/run/docker.sock'],
      'log-level': 'warn',
      'insecure-registries': ['127.0.0.1:39749'],
      'registry-mirrors': ['http://127.0.0.1:39749'],
    });
    expect(JSON.parse(dindDaemonJson('glci-mock:39741', extra))).toEqual(
      dindDaemonConfig('glci-mock:39741', extra),
    );
    expect(() => dindDaemonConfig('glci-mock:39741', { 'registry-mirrors': ['http://elsewhere'] })).toThrow(
      /registry-mirrors come from glci's registry/,
    );
  });

  it('marks the mock http and insecure in buildkitd.toml and mirrors docker.io through it', () => {
    expect(buildkitdToml('glci-mock:39741')).toBe(
      '[registry."glci-mock:39741"]\n  http = true\n  insecure = true\n\n[registry."docker.io"]\n  mirrors = ["glci-mock:39741"]\n',
    );
  });

  it('trusts a plain-HTTP external registry in both files, without making it a mirror', () => {
    expect(
      dindDaemonConfig('glci-mock:39741', {}, ['host.docker.internal:39741'], ['registry.corp:5000']),
    ).toEqual({
      'insecure-registries': ['glci-mock:39741', 'host.docker.internal:39741', 'registry.corp:5000'],
      'registry-mirrors': ['http://glci-mock:39741'],
    });
    expect(buildkitdToml('glci-mock:39741', [], ['registry.corp:5000', 'glci-mock:39741'])).toBe(
      '[registry."glci-mock:39741"]\n  http = true\n  insecure = true\n\n' +
        '[registry."registry.corp:5000"]\n  http = true\n  insecure = true\n\n' +
        '[registry."docker.io"]\n  mirrors = ["glci-mock:39741"]\n',
    );
  });

  it("reads as BuildKit's registry configuration (moby/buildkit util/resolver/config RegistryConfig)", () => {
    // buildx and buildkitd could not be built here (see README, "Not done yet"): the file is
    // checked as TOML against the fields BuildKit's RegistryConfig reads: mirrors, http, insecure.
    expect(
      parseToml(buildkitdToml('glci-mock:39741', ['host.docker.internal:39741'], ['registry.corp:5000'])),
    ).toEqual({
      registry: {
        'glci-mock:39741': { http: true, insecure: true },
        'host.docker.internal:39741': { http: true, insecure: true },
        'registry.corp:5000': { http: true, insecure: true },
        'docker.io': { mirrors: ['glci-mock:39741'] },
      },
    });
  });

  it('points jobs at the TLS port with the client certificates, or at the plain port', () => {
    expect(dindClientEnv({ tls: true })).toEqual({
      DOCKER_HOST: 'tcp://docker:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/certs/client',
      DOCKER_TLS_CERTDIR: '/certs',
    });
    expect(dindClientEnv({ tls: false })).toEqual({
      DOCKER_HOST: 'tcp://docker:2375',
      DOCKER_TLS_CERTDIR: '',
    });
    expect(dindServiceEnv({ tls: true })).toEqual({ DOCKER_TLS_CERTDIR: '/certs' });
  });
});

describe('DinD networks', () => {
  it('keep the inner daemon off the host bridge range, as settings and as flags', () => {
    expect(DIND_NETWORK_SETTINGS.bip.startsWith('172.17.')).toBe(false);
    expect(dindNetworkFlags()).toEqual([
      '--bip=10.235.255.1/24',
      '--default-address-pool=base=10.236.0.0/16,size=24',
    ]);
  });
});
