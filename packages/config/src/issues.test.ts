// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the config syntax under test.
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { describeValue, toConfigIssues } from './issues.js';
import { parseConfig } from './load.js';
import { configSchema } from './schema.js';

const FILE = '/etc/glci/config.toml';

/** Every line the user sees for this TOML. */
function messagesFor(toml: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(toml, { file: FILE, env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error(`expected ${JSON.stringify(toml)} to be rejected`);
}

describe('unknown keys', () => {
  it('suggests the key the user probably meant', () => {
    expect(messagesFor('[network]\nmock_server_prot = 5000')).toEqual([
      `${FILE}: network.mock_server_prot: unknown key (did you mean "mock_server_port"?)`,
    ]);
  });

  it('suggests a section name', () => {
    expect(messagesFor('[dokcer]\nprivileged = false')).toEqual([
      `${FILE}: dokcer: unknown key (did you mean "docker"?)`,
    ]);
  });

  it('lists the known keys when nothing is close', () => {
    expect(messagesFor('[cache]\ncolour = "blue"')).toEqual([
      `${FILE}: cache.colour: unknown key (known keys: persistent, max_size, ttl)`,
    ]);
  });

  it('suggests inside arrays of tables', () => {
    expect(messagesFor('[[registry.upstreams]]\nurl = "https://a.example"\ninsecur = true')).toEqual([
      `${FILE}: registry.upstreams[0].insecur: unknown key (did you mean "insecure"?)`,
    ]);
  });

  it('explains a bad S3 node cache: no directory, a zero size, or the wrong driver', () => {
    expect(
      messagesFor('[registry.storage]\ndriver = "s3"\nbucket = "imgs"\nlocal_cache = { max_size = "0" }'),
    ).toEqual([
      `${FILE}: registry.storage.local_cache.dir: is required (expected a string)`,
      `${FILE}: registry.storage.local_cache.max_size: expected a size above 0, e.g. "10GB" (leave local_cache out to turn the cache off), got 0`,
    ]);
    expect(messagesFor('[registry.storage]\nroot = "/data"\nlocal_cache = { dir = "/c" }')).toEqual([
      `${FILE}: registry.storage.local_cache: is only used with driver = "s3"`,
    ]);
  });

  it('says which storage driver a key belongs to', () => {
    expect(messagesFor('[registry.storage]\ndriver = "memory"\nroot = "/data"')).toEqual([
      `${FILE}: registry.storage.root: is only used with driver = "filesystem"`,
    ]);
  });
});

describe('wrong types', () => {
  it.each([
    ['[network]\nmock_server_port = "80"', 'network.mock_server_port: expected a number, got "80"'],
    ['[network]\nmock_server_port = 1.5', 'network.mock_server_port: expected a whole number, got 1.5'],
    ['[cache]\npersistent = "yes"', 'cache.persistent: expected true or false, got "yes"'],
    ['[cache]\npersistent = 1979-05-27', 'cache.persistent: expected true or false, got the date 1979-05-27'],
    ['docker = 5', 'docker: expected a table, got 5'],
    ['[network]\nextra_hosts = ["a"]', 'network.extra_hosts: expected a table, got an array'],
    ['[cache]\nmax_size = true', 'cache.max_size: expected a string or a number, got true'],
    [
      '[[registry.upstreams]]\nusername = "ada"',
      'registry.upstreams[0].url: is required (expected a string)',
    ],
  ])('%j', (toml, message) => {
    expect(messagesFor(toml)).toEqual([`${FILE}: ${message}`]);
  });
});

describe('values out of range or in the wrong form', () => {
  it.each([
    ['[network]\nmock_server_port = 70000', 'network.mock_server_port: must be at most 65535, got 70000'],
    ['[network]\nmock_server_port = 0', 'network.mock_server_port: must be at least 1, got 0'],
    ['[daemon]\nmax_log_files = -1', 'daemon.max_log_files: must be at least 0, got -1'],
    [
      '[[registry.upstreams]]\nurl = "https://a.example"\ncache_validity_hours = 9000',
      'registry.upstreams[0].cache_validity_hours: must be at most 8760, got 9000',
    ],
    [
      '[network]\nregistry_bind = "localhost"',
      'network.registry_bind: expected "host:port", e.g. "127.0.0.1:0" or "[::1]:5000", got "localhost"',
    ],
    [
      '[network]\nregistry_bind = "127.0.0.1:70000"',
      'network.registry_bind: port must be between 0 and 65535, got "127.0.0.1:70000"',
    ],
    [
      '[network]\ncontainer_host = "bad host"',
      'network.container_host: expected a host name such as "host.docker.internal", got "bad host"',
    ],
    [
      '[network]\nhost_gateway = "nope"',
      'network.host_gateway: expected "auto", "host-gateway" or an IP address, got "nope"',
    ],
    [
      '[network.extra_hosts]\nentries = ["git.corp"]',
      'network.extra_hosts.entries[0]: expected "name:ip", e.g. "internal-registry.corp:10.0.0.50", got "git.corp"',
    ],
    [
      '[docker]\nhost = "/var/run/docker.sock"',
      'docker.host: expected a Docker endpoint such as "unix:///var/run/docker.sock", "tcp://host:2375" or "ssh://user@host", got "/var/run/docker.sock"',
    ],
    [
      '[registry]\nurl = "ftp://registry.corp"',
      'registry.url: expected an http:// or https:// URL, got "ftp://registry.corp"',
    ],
    [
      '[registry.storage]\ndriver = "gcs"',
      'registry.storage.driver: expected "filesystem" or "memory" or "s3", got "gcs"',
    ],
    [
      '[cache]\nmax_size = "lots"',
      'cache.max_size: expected a size such as "500MB", "5GB" or "0", got "lots"',
    ],
    ['[cache]\nttl = "30"', 'cache.ttl: a duration needs a unit, e.g. "30s" or "30m"; got "30"'],
    ['[cache]\nttl = 30', 'cache.ttl: a duration is a string with a unit, e.g. "30s" or "30m"; got 30'],
  ])('%j', (toml, message) => {
    expect(messagesFor(toml)).toEqual([`${FILE}: ${message}`]);
  });
});

describe('bad TOML', () => {
  it.each([
    [
      '[cache]\nttl = "1h"\nttl = "2h"',
      '3:1: cache.ttl: invalid TOML: trying to redefine an already defined table or value',
    ],
    ['[network\nmock_server_port = 1', '1:9: network: invalid TOML: illegal character in key'],
    [
      '[cache]\nttl = "unterminated\n',
      '2:20: cache.ttl: invalid TOML: control characters are not allowed in strings',
    ],
  ])('%j gives the file, line, column and key', (toml, message) => {
    expect(messagesFor(toml)).toEqual([`${FILE}:${message}`]);
  });
});

describe('environment references', () => {
  it('names the unset variable and where it is used', () => {
    expect(messagesFor('[daemon]\nlog_file = "${LOG_DIR}/daemon.log"')).toEqual([
      `${FILE}: daemon.log_file: environment variable LOG_DIR is not set (referenced as "$LOG_DIR")`,
    ]);
  });

  it('validates the value the variable expands to', () => {
    expect(messagesFor('[cache]\nmax_size = "$CACHE_SIZE"', { CACHE_SIZE: 'big' })).toEqual([
      `${FILE}: cache.max_size: expected a size such as "500MB", "5GB" or "0", got "big"`,
    ]);
  });
});

it('reports every problem in a file, not just the first', () => {
  expect(messagesFor('docker.privileged = "no"\nnetwork.mock_server_port = 99999\ncache.bogus = 1')).toEqual([
    `${FILE}: docker.privileged: expected true or false, got "no"`,
    `${FILE}: network.mock_server_port: must be at most 65535, got 99999`,
    `${FILE}: cache.bogus: unknown key (known keys: persistent, max_size, ttl)`,
  ]);
});

describe('toConfigIssues', () => {
  it('reports issues of the merged configuration without a file', () => {
    const result = configSchema.safeParse({ cache: { persistent: 1 } }, { reportInput: true });
    expect(result.success).toBe(false);
    expect(toConfigIssues(result.error!.issues, configSchema, undefined)).toEqual([
      { file: undefined, key: 'cache.persistent', message: 'expected true or false, got 1' },
    ]);
  });
});

describe('describeValue', () => {
  it.each([
    [undefined, 'nothing'],
    ['x', '"x"'],
    [[1], 'an array'],
    [{}, 'a table'],
    [3, '3'],
    [false, 'false'],
  ])('describes %j as %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});
