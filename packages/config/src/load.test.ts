// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the config syntax under test.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { type LoadConfigOptions, loadConfig, parseConfig } from './load.js';

/** A home directory, a GLCI_HOME and a project with a nested working directory, all in a temp dir. */
let root: string;
let home: string;
let glciHomeDir: string;
let project: string;
let nestedCwd: string;
let userFile: string;
let projectFile: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'glci-load-'));
  home = path.join(root, 'home');
  glciHomeDir = path.join(root, 'glci-home');
  project = path.join(root, 'project');
  nestedCwd = path.join(project, 'services', 'api');
  mkdirSync(home);
  mkdirSync(glciHomeDir);
  mkdirSync(nestedCwd, { recursive: true });
  userFile = path.join(glciHomeDir, 'config.toml');
  projectFile = path.join(project, '.glciconfig.toml');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function load(env: Record<string, string> = {}, options: Partial<LoadConfigOptions> = {}) {
  return loadConfig({ cwd: nestedCwd, home, env: { GLCI_HOME: glciHomeDir, ...env }, ...options });
}

function loadErrors(env: Record<string, string> = {}): string[] {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig without files', () => {
  it('returns the defaults, with ~/.glci paths under GLCI_HOME', () => {
    const loaded = load();
    expect(loaded.sources).toEqual({});
    expect(loaded.glciHome).toBe(glciHomeDir);
    expect(loaded.config.daemon.socket).toBe(path.join(glciHomeDir, 'daemon.sock'));
    expect(loaded.config.daemon.log_file).toBe(path.join(glciHomeDir, 'daemon.log'));
    expect(loaded.config.network.daemon_socket).toBe(path.join(glciHomeDir, 'daemon.sock'));
    expect(loaded.config.registry.storage).toEqual({
      driver: 'filesystem',
      root: path.join(glciHomeDir, 'registry'),
    });
    expect(loaded.config.cache.ttl).toBe(24 * 3_600_000);
  });

  it('uses ~/.glci when GLCI_HOME is unset', () => {
    mkdirSync(path.join(home, '.glci'));
    writeFileSync(path.join(home, '.glci', 'config.toml'), '[cache]\nttl = "2h"\n');
    const loaded = loadConfig({ cwd: nestedCwd, home, env: {} });
    expect(loaded.glciHome).toBe(path.join(home, '.glci'));
    expect(loaded.sources.global).toBe(path.join(home, '.glci', 'config.toml'));
    expect(loaded.config.cache.ttl).toBe(2 * 3_600_000);
  });
});

describe('loadConfig with a user file and a project file', () => {
  it('finds the project file by walking up from a nested working directory', () => {
    writeFileSync(projectFile, '[network]\nmock_server_port = 5000\n');
    const loaded = load();
    expect(loaded.sources).toEqual({ project: projectFile });
    expect(loaded.config.network.mock_server_port).toBe(5000);
  });

  it('lets the project override the user per key and adds to the extra hosts', () => {
    writeFileSync(
      userFile,
      [
        '[cache]',
        'max_size = "1GB"',
        'ttl = "1h"',
        '[network]',
        'container_host = "glci.internal"',
        '[network.extra_hosts]',
        'entries = ["git.corp:10.0.0.7"]',
      ].join('\n'),
    );
    writeFileSync(
      projectFile,
      ['[cache]', 'ttl = "7d"', '[network.extra_hosts]', 'entries = ["db.corp:10.0.0.8"]'].join('\n'),
    );
    const loaded = load();
    expect(loaded.sources).toEqual({ global: userFile, project: projectFile });
    expect(loaded.config.cache).toEqual({ persistent: true, max_size: 1024 ** 3, ttl: 7 * 86_400_000 });
    expect(loaded.config.network.container_host).toBe('glci.internal');
    expect(loaded.config.network.extra_hosts.entries).toEqual(['git.corp:10.0.0.7', 'db.corp:10.0.0.8']);
  });

  it('lets the project switch the storage driver the user configured', () => {
    writeFileSync(userFile, '[registry.storage]\ndriver = "filesystem"\nroot = "/data/registry"\n');
    writeFileSync(projectFile, '[registry.storage]\ndriver = "memory"\n');
    expect(load().config.registry.storage).toEqual({ driver: 'memory' });
  });

  it('lets the project change a key of the user S3 storage without naming the driver again', () => {
    writeFileSync(
      userFile,
      '[registry.storage]\ndriver = "s3"\nbucket = "team-images"\nregion = "eu-west-1"\n',
    );
    writeFileSync(projectFile, '[registry.storage]\nbucket = "project-images"\n');
    expect(load().config.registry.storage).toMatchObject({
      driver: 's3',
      bucket: 'project-images',
      region: 'eu-west-1',
    });
  });

  it('resolves environment references in both files', () => {
    writeFileSync(
      userFile,
      '[registry]\nurl = "https://${REGISTRY_HOST}"\npassword = "$REGISTRY_PASSWORD"\n',
    );
    writeFileSync(projectFile, '[daemon]\nlog_file = "$LOG_DIR/glci.log"\n');
    const loaded = load({
      REGISTRY_HOST: 'registry.corp',
      REGISTRY_PASSWORD: 'hunter2',
      LOG_DIR: '/var/log',
    });
    expect(loaded.config.registry.url).toBe('https://registry.corp');
    expect(loaded.config.registry.password).toBe('hunter2');
    expect(loaded.config.daemon.log_file).toBe('/var/log/glci.log');
  });

  it('resolves relative paths against the file that set them', () => {
    writeFileSync(userFile, '[daemon]\nlog_file = "logs/daemon.log"\nsocket = "~/sockets/glci.sock"\n');
    writeFileSync(projectFile, '[registry.storage]\nroot = ".glci/registry"\n');
    const loaded = load();
    expect(loaded.config.daemon.log_file).toBe(path.join(glciHomeDir, 'logs', 'daemon.log'));
    expect(loaded.config.daemon.socket).toBe(path.join(home, 'sockets', 'glci.sock'));
    expect(loaded.config.registry.storage).toEqual({
      driver: 'filesystem',
      root: path.join(project, '.glci', 'registry'),
    });
  });

  it('resolves the S3 node cache directory like the other paths', () => {
    writeFileSync(
      userFile,
      '[registry.storage]\ndriver = "s3"\nbucket = "imgs"\nlocal_cache = { dir = "blob-cache" }\n',
    );
    expect(load().config.registry.storage).toMatchObject({
      local_cache: { dir: path.join(glciHomeDir, 'blob-cache') },
    });
  });

  it('reads the files it is given and skips the search when projectFile is null', () => {
    writeFileSync(projectFile, '[cache]\nttl = "5m"\n');
    const other = path.join(root, 'other.toml');
    writeFileSync(other, '[cache]\nttl = "6m"\n');
    expect(load({}, { projectFile: null }).config.cache.ttl).toBe(24 * 3_600_000);
    expect(load({}, { projectFile: null, globalFile: other }).config.cache.ttl).toBe(6 * 60_000);
    expect(load({}, { projectFile: other }).sources).toEqual({ project: other });
  });
});

describe('loadConfig errors', () => {
  it('names the file and suggests the key for a typo', () => {
    writeFileSync(userFile, '[network]\nmock_server_prot = 5000\n');
    expect(loadErrors()).toEqual([
      `${userFile}: network.mock_server_prot: unknown key (did you mean "mock_server_port"?)`,
    ]);
  });

  it('names the missing environment variable', () => {
    writeFileSync(projectFile, '[daemon]\nlog_file = "${LOG_DIR}/glci.log"\n');
    expect(loadErrors()).toEqual([
      `${projectFile}: daemon.log_file: environment variable LOG_DIR is not set (referenced as "$LOG_DIR")`,
    ]);
  });

  it('gives line and column for bad TOML', () => {
    writeFileSync(projectFile, '[cache]\nttl = "1h"\nmax_size = 500MB\n');
    expect(loadErrors()).toEqual([
      `${projectFile}:3:15: cache.max_size: invalid TOML: illegal character in numeric literal (a size or duration is a string: write "500MB", "30m")`,
    ]);
  });

  it('reports the problems of both files together', () => {
    writeFileSync(userFile, '[cache]\nttl = "soon"\n');
    writeFileSync(projectFile, '[network]\nmock_server_port = 70000\n');
    expect(loadErrors()).toEqual([
      `${userFile}: cache.ttl: expected a duration such as "30m", "24h" or "0" (units ms, s, m, h, d, w), got "soon"`,
      `${projectFile}: network.mock_server_port: must be at most 65535, got 70000`,
    ]);
  });

  it('says when a file cannot be read', () => {
    mkdirSync(userFile);
    expect(loadErrors()).toEqual([`${userFile}: cannot be read (EISDIR)`]);
  });

  it('reports an unreadable file', () => {
    if (process.getuid?.() === 0) {
      // root reads any file; a directory stands in for a file it cannot open.
      mkdirSync(projectFile);
      expect(loadErrors()).toEqual([`${projectFile}: cannot be read (EISDIR)`]);
      return;
    }
    writeFileSync(projectFile, '');
    chmodSync(projectFile, 0o000);
    expect(loadErrors()).toEqual([`${projectFile}: cannot be read (EACCES)`]);
  });
});

describe('user-only keys in a project file', () => {
  const message = 'may only be set in the user config ($GLCI_HOME/config.toml), not in a project file';

  it.each([
    ['[registry]\nurl = "https://evil.example"', 'registry.url'],
    ['[registry]\nusername = "ada"', 'registry.username'],
    ['[registry]\npassword = "x"', 'registry.password'],
    ['[registry.upstream]\nurl = "https://evil.example"', 'registry.upstream'],
    ['[[registry.upstreams]]\nurl = "https://a.example"\nusername = "ada"', 'registry.upstreams[0].username'],
    [
      '[[registry.upstreams]]\nurl = "https://a.example"\n[[registry.upstreams]]\nurl = "https://b.example"\npassword = "x"',
      'registry.upstreams[1].password',
    ],
  ])('rejects %j', (toml, key) => {
    writeFileSync(projectFile, toml);
    expect(loadErrors()).toEqual([`${projectFile}: ${key}: ${message}`]);
  });

  it('rejects the key before it would read the variable it names', () => {
    writeFileSync(projectFile, '[registry]\npassword = "$AWS_SECRET_ACCESS_KEY"\n');
    expect(loadErrors({ AWS_SECRET_ACCESS_KEY: 'leaked' })).toEqual([
      `${projectFile}: registry.password: ${message}`,
    ]);
  });

  it('rejects S3 storage endpoints and credentials, keeping the bucket choice to the project', () => {
    writeFileSync(
      projectFile,
      [
        '[registry.storage]',
        'driver = "s3"',
        'bucket = "team-images"',
        'endpoint = "https://s3.evil.example"',
        'access_key_id = "$AWS_ACCESS_KEY_ID"',
        'secret_access_key = "$AWS_SECRET_ACCESS_KEY"',
      ].join('\n'),
    );
    expect(loadErrors({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'leaked' })).toEqual([
      `${projectFile}: registry.storage.endpoint: ${message}`,
      `${projectFile}: registry.storage.access_key_id: ${message}`,
      `${projectFile}: registry.storage.secret_access_key: ${message}`,
    ]);
    writeFileSync(projectFile, '[registry.storage]\ndriver = "s3"\nbucket = "team-images"\n');
    expect(load().config.registry.storage).toMatchObject({ driver: 's3', bucket: 'team-images' });
  });

  it("rejects an S3 node cache in a project file: where gigabytes land is the user's call", () => {
    writeFileSync(
      projectFile,
      '[registry.storage]\ndriver = "s3"\nbucket = "imgs"\nlocal_cache = { dir = "/home/ada/.ssh" }\n',
    );
    expect(loadErrors()).toEqual([`${projectFile}: registry.storage.local_cache: ${message}`]);
  });

  it.each([
    ['[docker]\nhost = "tcp://build-box.evil.example:2375"', 'docker.host'],
    ['[docker]\ncontainer_socket = "/etc"', 'docker.container_socket'],
    ['[docker]\ntls_cert_path = "certs"', 'docker.tls_cert_path'],
  ])('rejects the Docker engine setting %j: it decides where everything runs', (toml, key) => {
    writeFileSync(projectFile, toml);
    expect(loadErrors()).toContainEqual(`${projectFile}: ${key}: ${message}`);
  });

  it('lets a project turn privileged containers off, never on', () => {
    writeFileSync(userFile, '[docker]\nprivileged = false\n');
    writeFileSync(projectFile, '[docker]\nprivileged = true\n');
    expect(loadErrors()).toEqual([
      `${projectFile}: docker.privileged: may only be turned on in the user config ($GLCI_HOME/config.toml); a project file may set it to false`,
    ]);
    writeFileSync(userFile, '');
    writeFileSync(projectFile, '[docker]\nprivileged = false\n');
    expect(load().config.docker.privileged).toBe(false);
  });

  it('resolves the [docker] TLS paths relative to the user file', () => {
    writeFileSync(
      userFile,
      '[docker]\nhost = "tcp://build-box:2376"\ntls_cert_path = "certs"\ntls_ca_cert = "~/ca.pem"\n',
    );
    expect(load().config.docker).toMatchObject({
      tls_cert_path: path.join(glciHomeDir, 'certs'),
      tls_ca_cert: path.join(home, 'ca.pem'),
    });
  });

  it('allows the same keys in the user file, and upstream URLs in the project file', () => {
    writeFileSync(userFile, '[registry]\nurl = "https://registry.corp"\nusername = "ada"\n');
    writeFileSync(projectFile, '[[registry.upstreams]]\nurl = "https://mirror.corp"\n');
    const loaded = load();
    expect(loaded.config.registry.url).toBe('https://registry.corp');
    expect(loaded.config.registry.upstreams.map((upstream) => upstream.url)).toEqual(['https://mirror.corp']);
  });
});

describe('[docker] TLS keys', () => {
  it('refuse TLS settings without a tcp:// host, naming each key', () => {
    expect(() => parseConfig('[docker]\ntls_verify = true', { env: {} })).toThrow(
      '<config>: docker.tls_verify: applies to [docker] host, which is not set',
    );
    expect(() =>
      parseConfig('[docker]\nhost = "ssh://ada@build-box"\ntls_cert_path = "/certs"', { env: {} }),
    ).toThrow(
      '<config>: docker.tls_cert_path: applies to a tcp:// host only, and [docker] host is "ssh://ada@build-box"',
    );
  });

  it('want the client certificate and its key together', () => {
    expect(() => parseConfig('[docker]\nhost = "tcp://b:2376"\ntls_cert = "/c.pem"', { env: {} })).toThrow(
      '<config>: docker.tls_key: expected both tls_cert and tls_key',
    );
  });
});

describe('parseConfig', () => {
  it('validates one document with defaults, without reading files', () => {
    expect(parseConfig('[cache]\nttl = "1h"', { env: {} }).cache.ttl).toBe(3_600_000);
  });

  it('names the document <config> when no file is given', () => {
    expect(() => parseConfig('[cache]\nttl = 5', { env: {} })).toThrow(
      '<config>: cache.ttl: a duration is a string with a unit, e.g. "5s" or "5m"; got 5',
    );
  });
});
