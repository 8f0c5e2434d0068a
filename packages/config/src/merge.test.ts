import { describe, expect, it } from 'vitest';
import { inheritDiscriminators, mergeConfigLayers } from './merge.js';

describe('mergeConfigLayers', () => {
  it('keeps the user value when the project does not set the key', () => {
    expect(mergeConfigLayers({ cache: { ttl: '1h' } }, {})).toEqual({ cache: { ttl: '1h' } });
  });

  it('lets the project override a scalar', () => {
    expect(mergeConfigLayers({ cache: { ttl: '1h' } }, { cache: { ttl: '2h' } })).toEqual({
      cache: { ttl: '2h' },
    });
  });

  it('merges tables key by key', () => {
    expect(
      mergeConfigLayers(
        { cache: { ttl: '1h', persistent: false }, docker: { privileged: false } },
        { cache: { ttl: '2h' }, network: { mock_server_port: 5000 } },
      ),
    ).toEqual({
      cache: { ttl: '2h', persistent: false },
      docker: { privileged: false },
      network: { mock_server_port: 5000 },
    });
  });

  it('appends the project extra_hosts entries to the user ones, without duplicates', () => {
    const merged = mergeConfigLayers(
      { network: { extra_hosts: { entries: ['a.corp:10.0.0.1', 'b.corp:10.0.0.2'] } } },
      { network: { extra_hosts: { entries: ['b.corp:10.0.0.2', 'c.corp:10.0.0.3'] } } },
    );
    expect(merged).toEqual({
      network: { extra_hosts: { entries: ['a.corp:10.0.0.1', 'b.corp:10.0.0.2', 'c.corp:10.0.0.3'] } },
    });
  });

  it('replaces other lists, such as the upstreams', () => {
    const merged = mergeConfigLayers(
      { registry: { upstreams: [{ url: 'https://a' }, { url: 'https://b' }] } },
      { registry: { upstreams: [{ url: 'https://c' }] } },
    );
    expect(merged).toEqual({ registry: { upstreams: [{ url: 'https://c' }] } });
  });

  it('replaces the storage table when the project picks another driver', () => {
    const merged = mergeConfigLayers(
      { registry: { storage: { driver: 'filesystem', root: '/data' } } },
      { registry: { storage: { driver: 'memory' } } },
    );
    expect(merged).toEqual({ registry: { storage: { driver: 'memory' } } });
  });

  it('treats a storage table without a driver as filesystem, the default', () => {
    expect(
      mergeConfigLayers(
        { registry: { storage: { root: '/data' } } },
        { registry: { storage: { driver: 'filesystem' } } },
      ),
    ).toEqual({ registry: { storage: { root: '/data', driver: 'filesystem' } } });
    expect(
      mergeConfigLayers(
        { registry: { storage: { root: '/data' } } },
        { registry: { storage: { driver: 'memory' } } },
      ),
    ).toEqual({ registry: { storage: { driver: 'memory' } } });
  });

  it('merges the storage table key by key when the driver stays the same', () => {
    expect(
      mergeConfigLayers(
        { registry: { storage: { driver: 'filesystem', root: '/data' } } },
        { registry: { storage: { root: '/other' } } },
      ),
    ).toEqual({ registry: { storage: { driver: 'filesystem', root: '/other' } } });
  });

  it('does not change either layer', () => {
    const base = { network: { extra_hosts: { entries: ['a.corp:10.0.0.1'] } } };
    const override = { network: { extra_hosts: { entries: ['c.corp:10.0.0.3'] } } };
    mergeConfigLayers(base, override);
    expect(base).toEqual({ network: { extra_hosts: { entries: ['a.corp:10.0.0.1'] } } });
    expect(override).toEqual({ network: { extra_hosts: { entries: ['c.corp:10.0.0.3'] } } });
  });
});

describe('inheritDiscriminators', () => {
  it('gives a storage table without a driver the base driver', () => {
    expect(
      inheritDiscriminators(
        { registry: { storage: { driver: 's3', bucket: 'a' } } },
        { cache: { ttl: '1h' }, registry: { push_through: true, storage: { bucket: 'b' } } },
      ),
    ).toEqual({
      cache: { ttl: '1h' },
      registry: { push_through: true, storage: { driver: 's3', bucket: 'b' } },
    });
  });

  it('leaves an override alone when it names its driver, has no storage table, or the base names none', () => {
    const named = { registry: { storage: { driver: 'memory' } } };
    expect(inheritDiscriminators({ registry: { storage: { driver: 's3' } } }, named)).toBe(named);
    const none = { cache: { ttl: '1h' } };
    expect(inheritDiscriminators({ registry: { storage: { driver: 's3' } } }, none)).toBe(none);
    const rootOnly = { registry: { storage: { root: '/x' } } };
    expect(inheritDiscriminators({ registry: { storage: { root: '/y' } } }, rootOnly)).toBe(rootOnly);
  });
});
