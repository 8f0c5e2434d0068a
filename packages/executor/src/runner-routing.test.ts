import { describe, expect, it } from 'vitest';
import { routeJob, SERVICES_TAG, STANDING_ENTRIES } from './runner-routing.js';

describe('routeJob', () => {
  it('sends a job without services to the shared entry, untagged', () => {
    expect(routeJob({})).toEqual({ entry: 'shared', tags: [] });
    expect(routeJob({ services: [] })).toEqual({ entry: 'shared', tags: [] });
  });

  it('sends a job with services to the entry with per-build networks, by its tag', () => {
    expect(routeJob({ services: ['postgres:16'] })).toEqual({ entry: 'services', tags: [SERVICES_TAG] });
    const services = STANDING_ENTRIES.find((entry) => entry.key === 'services')!;
    expect(services).toMatchObject({ perBuildNetwork: true, runUntagged: false, tags: [SERVICES_TAG] });
    const shared = STANDING_ENTRIES.find((entry) => entry.key === 'shared')!;
    expect(shared).toMatchObject({ perBuildNetwork: false, runUntagged: true, tags: [] });
  });
});
