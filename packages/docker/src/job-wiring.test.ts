import { configSchema, resolveNetwork } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { jobExtraHosts, rewriteRegistryImage, supportsHostGateway } from './job-wiring.js';

const network = (hostGateway = 'auto') =>
  resolveNetwork(
    configSchema.parse({
      network: { host_gateway: hostGateway, extra_hosts: { entries: ['internal-registry.corp:10.0.0.50'] } },
    }),
    {},
  );

describe('jobExtraHosts', () => {
  const modern = { serverVersion: '20.10.24', bridgeGateway: '172.17.0.1' };
  const old = { serverVersion: '19.03.15', bridgeGateway: '172.18.0.1' };

  it('maps container_host to host-gateway on Docker 20.10+ and appends the configured entries', () => {
    expect(jobExtraHosts(network(), modern)).toEqual([
      'host.docker.internal:host-gateway',
      'internal-registry.corp:10.0.0.50',
    ]);
  });

  it('falls back to the bridge gateway IP on older daemons', () => {
    expect(jobExtraHosts(network(), old)[0]).toBe('host.docker.internal:172.18.0.1');
  });

  it('uses the configured host_gateway as it is', () => {
    expect(jobExtraHosts(network('192.168.5.1'), modern)[0]).toBe('host.docker.internal:192.168.5.1');
    expect(jobExtraHosts(network('host-gateway'), old)[0]).toBe('host.docker.internal:host-gateway');
  });

  it('knows which versions support host-gateway', () => {
    expect(supportsHostGateway('20.10.0')).toBe(true);
    expect(supportsHostGateway('24.0.7')).toBe(true);
    expect(supportsHostGateway('20.10.24+dfsg1')).toBe(true);
    expect(supportsHostGateway('19.03.15')).toBe(false);
    expect(supportsHostGateway('20.04.0')).toBe(false);
    // Podman's own version is in `serverVersion`; its compatible API writes "host-gateway" literally.
    expect(supportsHostGateway('4.3.1', 'podman')).toBe(false);
    expect(supportsHostGateway('24.0.7', 'podman')).toBe(false);
  });
});

describe('rewriteRegistryImage', () => {
  it.each([
    ['$CI_REGISTRY/group/app:1', '127.0.0.1:39741/group/app:1'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitLab's variable syntax, literally
    ['${CI_REGISTRY}/group/app:1', '127.0.0.1:39741/group/app:1'],
    ['host.docker.internal:39741/group/app@sha256:abc', '127.0.0.1:39741/group/app@sha256:abc'],
    ['docker:dind', 'docker:dind'],
    ['registry.gitlab.com/group/app:1', 'registry.gitlab.com/group/app:1'],
  ])('%s → %s', (image, expected) => expect(rewriteRegistryImage(image, network())).toBe(expected));
});
