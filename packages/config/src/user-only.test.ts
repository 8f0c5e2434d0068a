import { describe, expect, it } from 'vitest';
import { USER_ONLY_MESSAGE, userOnlyViolations, valueAt } from './user-only.js';

const FILE = '/work/app/.glciconfig.toml';
const keysOf = (raw: Record<string, unknown>) => userOnlyViolations(raw, FILE).map((issue) => issue.key);

describe('userOnlyViolations', () => {
  it('allows what a project may set', () => {
    expect(
      keysOf({
        cache: { ttl: '1h' },
        network: { mock_server_port: 5000 },
        registry: {
          push_through: true,
          upstreams: [{ url: 'https://mirror.corp' }],
          storage: { driver: 'memory' },
        },
      }),
    ).toEqual([]);
  });

  it('rejects the registry URL, its credentials and the push-through target', () => {
    expect(
      keysOf({
        registry: { url: 'https://x', username: 'u', password: 'p', upstream: { url: 'https://y' } },
      }),
    ).toEqual(['registry.url', 'registry.username', 'registry.password', 'registry.upstream']);
  });

  it('rejects upstream credentials but not upstream URLs', () => {
    expect(
      keysOf({
        registry: { upstreams: [{ url: 'https://a' }, { url: 'https://b', username: 'u', password: 'p' }] },
      }),
    ).toEqual(['registry.upstreams[1].username', 'registry.upstreams[1].password']);
  });

  it('rejects storage endpoints and credentials', () => {
    expect(
      keysOf({
        registry: {
          storage: {
            driver: 's3',
            bucket: 'b',
            endpoint: 'https://evil',
            access_key_id: 'a',
            secret_access_key: 's',
          },
        },
      }),
    ).toEqual([
      'registry.storage.endpoint',
      'registry.storage.access_key_id',
      'registry.storage.secret_access_key',
    ]);
  });

  it('rejects the images of the containers that get the Docker socket', () => {
    expect(
      keysOf({
        runner: { image: 'evil/runner', helper_image: 'evil/helper', concurrent: 2 },
        mock: { image: 'evil/mock' },
      }),
    ).toEqual(['runner.image', 'runner.helper_image', 'mock.image']);
  });

  it('lets a project tag its runners but not mount host paths, pick their helper or turn privileged on', () => {
    expect(
      keysOf({
        runners: {
          gpu: { tags: ['gpu'], run_untagged: false, concurrent: 2, image: 'cuda:12', privileged: false },
          big: { tags: ['large'], volumes: ['/:/host'], helper_image: 'evil/helper', privileged: true },
        },
        projects: { 'group/app': { runners: { own: { tags: ['own'], volumes: ['/etc:/etc'] } } } },
      }),
    ).toEqual([
      'runners.big.helper_image',
      'runners.big.volumes',
      'projects.group/app.runners.own.volumes',
      'runners.big.privileged',
    ]);
    expect(userOnlyViolations({ runners: { big: { privileged: true } } }, FILE)[0]?.message).toBe(
      'may only be turned on in the user config ($GLCI_HOME/config.toml); a project file may set it to false',
    );
  });

  it('rejects a secret-named key anywhere, even one the schema does not know', () => {
    expect(keysOf({ runner: { token: '$CI_JOB_TOKEN' } })).toEqual(['runner.token']);
  });

  it('reports a table once, not again for the secret inside it', () => {
    expect(keysOf({ registry: { upstream: { password: 'p' } } })).toEqual(['registry.upstream']);
  });

  it('names the user file in its message', () => {
    expect(userOnlyViolations({ registry: { url: 'https://x' } }, FILE)).toEqual([
      { file: FILE, key: 'registry.url', message: USER_ONLY_MESSAGE },
    ]);
    expect(USER_ONLY_MESSAGE).toBe(
      'may only be set in the user config ($GLCI_HOME/config.toml), not in a project file',
    );
  });
});

describe('valueAt', () => {
  it('follows tables and stops at anything else', () => {
    expect(valueAt({ a: { b: 1 } }, ['a', 'b'])).toBe(1);
    expect(valueAt({ a: [1] }, ['a', 'b'])).toBeUndefined();
    expect(valueAt({}, ['a'])).toBeUndefined();
  });
});
