import { describe, expect, it } from 'vitest';
import { configSchema } from './schema.js';
import { knownKeysAt, optionsAccepting, visitFields } from './schema-walk.js';

describe('knownKeysAt', () => {
  it('lists the keys of a table, through defaults and arrays', () => {
    expect(knownKeysAt(configSchema, [])).toEqual([
      'docker',
      'network',
      'cache',
      'daemon',
      'history',
      'registry',
      'gitlab',
      'defaults',
      'runner',
      'mock',
      'runners',
      'skip',
      'manual',
      'jobs',
      'projects',
      'contexts',
      'pipelines',
    ]);
    expect(knownKeysAt(configSchema, ['registry', 'upstreams', 0])).toEqual([
      'url',
      'username',
      'password',
      'insecure',
      'cache_validity_hours',
    ]);
  });

  it('sees through a table of named tables', () => {
    expect(knownKeysAt(configSchema, ['runners', 'gpu'])).toContain('run_untagged');
    expect(knownKeysAt(configSchema, ['projects', 'group/app', 'runners', 'deploy'])).toContain('tags');
  });

  it('lists every option of a discriminated table, or the one its input selects', () => {
    expect(knownKeysAt(configSchema, ['registry', 'storage'])).toEqual([
      'driver',
      'root',
      'bucket',
      'region',
      'endpoint',
      'path_style',
      'prefix',
      'access_key_id',
      'secret_access_key',
      'session_token',
      'sse',
      'kms_key_id',
      'insecure',
      'redirect',
      'local_cache',
    ]);
    expect(knownKeysAt(configSchema, ['registry', 'storage'], { driver: 'memory' })).toEqual(['driver']);
  });

  it('is empty for a path that is not a table', () => {
    expect(knownKeysAt(configSchema, ['cache', 'ttl'])).toEqual([]);
    expect(knownKeysAt(configSchema, ['nope'])).toEqual([]);
  });
});

describe('optionsAccepting', () => {
  it('names the discriminator value whose option has the key', () => {
    expect(optionsAccepting(configSchema, ['registry', 'storage'], 'root')).toEqual([
      'driver = "filesystem"',
    ]);
    expect(optionsAccepting(configSchema, ['registry', 'storage'], 'bucket')).toEqual(['driver = "s3"']);
    expect(optionsAccepting(configSchema, ['registry', 'storage'], 'bogus')).toEqual([]);
    expect(optionsAccepting(configSchema, ['cache'], 'bogus')).toEqual([]);
  });
});

describe('visitFields', () => {
  it('visits every field with its path, arrays as []', () => {
    const paths: string[] = [];
    visitFields(configSchema, (path) => paths.push(path.join('.')));
    expect(paths).toContain('cache.max_size');
    expect(paths).toContain('registry.upstreams.[].cache_validity_hours');
    expect(paths).toContain('registry.storage.root');
    expect(paths).toContain('network.extra_hosts.entries');
  });
});
