import { createLogger } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { UpstreamSet } from './upstream-set.js';

const logger = createLogger({ silent: true });

function set() {
  return new UpstreamSet(
    [
      { url: 'https://registry.gitlab.com' },
      { url: 'https://registry-1.docker.io', cache_validity_hours: 6 },
      { url: 'http://127.0.0.1:5000', aliases: ['mirror.test'] },
    ],
    { logger, clock: systemClock },
  );
}

describe('UpstreamSet', () => {
  it('tries every upstream in order, normalising single names for Docker Hub only', () => {
    const route = set().route('alpine');
    expect(route.targets.map((t) => [t.upstream.url, t.name])).toEqual([
      ['https://registry.gitlab.com', 'alpine'],
      ['https://registry-1.docker.io', 'library/alpine'],
      ['http://127.0.0.1:5000', 'alpine'],
    ]);
    expect(set().route('org/app').targets[1]!.name).toBe('org/app');
  });

  it('routes a host-prefixed name to that upstream only', () => {
    const hub = set().route('docker.io/library/alpine');
    expect(hub.targets.map((t) => [t.upstream.url, t.name])).toEqual([
      ['https://registry-1.docker.io', 'library/alpine'],
    ]);
    expect(set().route('docker.io/alpine').targets[0]!.name).toBe('library/alpine');
    expect(set().route('registry.gitlab.com/group/project').targets[0]!.name).toBe('group/project');
    expect(
      set()
        .route('mirror.test/a/b')
        .targets.map((t) => t.upstream.url),
    ).toEqual(['http://127.0.0.1:5000']);
  });

  it('refuses an unconfigured host without listing any upstream to contact', () => {
    const route = set().route('ghcr.io/org/img');
    expect(route.targets).toEqual([]);
    expect(route.refused).toContain('ghcr.io');
  });

  it('routes by the ns parameter and echoes it, with or without the host in the name', () => {
    const route = set().route('library/alpine', 'docker.io');
    expect(route.namespace).toBe('docker.io');
    expect(route.targets.map((t) => t.name)).toEqual(['library/alpine']);
    expect(set().route('docker.io/pause', 'docker.io').targets[0]!.name).toBe('library/pause');
    expect(set().route('x/y', 'quay.io').refused).toContain('quay.io');
  });

  it('keeps validity per upstream', () => {
    const upstreams = set().upstreams;
    expect(upstreams.map((u) => u.validityMs)).toEqual([24 * 3_600_000, 6 * 3_600_000, 24 * 3_600_000]);
    expect(upstreams.map((u) => u.isDockerHub)).toEqual([false, true, false]);
  });
});
