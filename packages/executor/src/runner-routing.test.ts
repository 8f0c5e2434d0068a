import { parseConfig } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { configuredRunners } from './runner-assignment.js';
import { routeJob, SERVICES_TAG, STANDING_ENTRIES } from './runner-routing.js';

describe('routeJob', () => {
  it('sends a job without services to the shared entry, untagged', () => {
    expect(routeJob({ name: 'j' })).toEqual({ entry: 'shared', tags: [] });
    expect(routeJob({ name: 'j', services: [] })).toEqual({ entry: 'shared', tags: [] });
  });

  it('sends a job with services to the entry with per-build networks, by its tag', () => {
    expect(routeJob({ name: 'j', services: ['postgres:16'] })).toEqual({
      entry: 'services',
      tags: [SERVICES_TAG],
    });
    const services = STANDING_ENTRIES.find((entry) => entry.key === 'services')!;
    expect(services).toMatchObject({ perBuildNetwork: true, runUntagged: false, tags: [SERVICES_TAG] });
    const shared = STANDING_ENTRIES.find((entry) => entry.key === 'shared')!;
    expect(shared).toMatchObject({ perBuildNetwork: false, runUntagged: true, tags: [] });
  });
});

describe("routeJob with the user's runners", () => {
  const config = parseConfig('[runners.gpu]\ntags = ["gpu"]\n[runners.big]\ntags = ["docker", "large"]\n', {
    env: {},
  });
  const runners = configuredRunners(config, config, 'group/app');

  it('queues a tagged job with its own tags for the runners that have them all', () => {
    expect(routeJob({ name: 'train', tags: ['gpu'] }, { runners })).toEqual({
      entry: 'named',
      tags: ['gpu'],
      runners: ['gpu'],
    });
    expect(
      routeJob({ name: 'build', tags: ['docker', 'large'], services: ['redis'] }, { runners }),
    ).toMatchObject({
      entry: 'named',
      runners: ['big'],
    });
  });

  it('keeps untagged jobs on the standing entries', () => {
    expect(routeJob({ name: 'test' }, { runners })).toEqual({ entry: 'shared', tags: [] });
    expect(routeJob({ name: 'db', services: ['postgres'] }, { runners })).toEqual({
      entry: 'services',
      tags: [SERVICES_TAG],
    });
  });

  it('leaves a job whose tags no runner has pending, or on the shared entry with --any-runner', () => {
    const pending = routeJob({ name: 'arm', tags: ['arm64'] }, { runners });
    expect(pending).toMatchObject({ entry: 'pending', tags: ['arm64'] });
    expect(pending.pending).toContain('job "arm" is pending: no runner has all of its tags (arm64)');
    expect(routeJob({ name: 'arm', tags: ['arm64'] }, { runners, anyRunner: true })).toEqual({
      entry: 'shared',
      tags: [],
    });
  });
});
