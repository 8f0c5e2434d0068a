import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatConfigJson, formatConfigToml, toConfigToml, toDisplayObject } from './format.js';
import { type LoadedConfig, loadConfig, parseConfig } from './load.js';

let root: string;
let glciHomeDir: string;
let project: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'glci-format-'));
  glciHomeDir = path.join(root, 'glci-home');
  project = path.join(root, 'project');
  mkdirSync(glciHomeDir);
  mkdirSync(project);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function loadWith(
  user: string | undefined,
  projectToml?: string,
  env: Record<string, string> = {},
): LoadedConfig {
  if (user !== undefined) writeFileSync(path.join(glciHomeDir, 'config.toml'), user);
  if (projectToml !== undefined) writeFileSync(path.join(project, '.glciconfig.toml'), projectToml);
  return loadConfig({ cwd: project, home: root, env: { GLCI_HOME: glciHomeDir, ...env } });
}

describe('formatConfigToml', () => {
  it('prints the defaults as TOML that parses back to the same configuration', () => {
    const loaded = loadWith(undefined);
    expect(parseConfig(formatConfigToml(loaded), { env: {} })).toEqual(loaded.config);
  });

  it('prints a merged configuration that parses back to the same configuration', () => {
    const loaded = loadWith(
      [
        '[docker]',
        'host = "tcp://127.0.0.1:2375"',
        'privileged = false',
        '[cache]',
        'max_size = 123456789',
        'ttl = "25h"',
        '[daemon]',
        'idle_timeout = "90s"',
        'log_file = "/var/log/glci-$$USER.log"',
        '[network.extra_hosts]',
        'entries = ["git.corp:10.0.0.7"]',
        '[[registry.upstreams]]',
        'url = "https://mirror.corp"',
        'insecure = true',
        'cache_validity_hours = 1.5',
      ].join('\n'),
      ['[network]', 'mock_server_port = 5000', '[registry.storage]', 'driver = "memory"'].join('\n'),
    );
    const printed = formatConfigToml(loaded);
    expect(printed).toContain('max_size = "123456789B"');
    expect(printed).toContain('ttl = "25h"');
    expect(printed).toContain('log_file = "/var/log/glci-$$USER.log"');
    expect(parseConfig(printed, { env: {} })).toEqual(loaded.config);
  });

  it('prints S3 storage that parses back to the same configuration, with its secret redacted', () => {
    const loaded = loadWith(
      [
        '[registry.storage]',
        'driver = "s3"',
        'bucket = "team-images"',
        'endpoint = "http://127.0.0.1:9000"',
        'path_style = true',
        'prefix = "glci/prod"',
        'access_key_id = "AKIAEXAMPLE"',
        'secret_access_key = "$S3_SECRET"',
      ].join('\n'),
      undefined,
      { S3_SECRET: 'wJalrXUtnFEMI' },
    );
    const printed = formatConfigToml(loaded);
    expect(printed).not.toContain('wJalrXUtnFEMI');
    expect(printed).toContain('secret_access_key = "<redacted>"');
    const reparsed = parseConfig(printed, { env: {} });
    expect(reparsed.registry.storage).toEqual({
      ...loaded.config.registry.storage,
      secret_access_key: '<redacted>',
    });
  });

  it('names the files it merged in a comment header', () => {
    const loaded = loadWith('', '');
    expect(formatConfigToml(loaded).split('\n').slice(0, 4)).toEqual([
      '# glci effective configuration (secrets redacted)',
      `# user file:    ${path.join(glciHomeDir, 'config.toml')}`,
      `# project file: ${path.join(project, '.glciconfig.toml')}`,
      '',
    ]);
  });

  it('says when it printed the defaults alone', () => {
    expect(formatConfigToml(loadWith(undefined)).split('\n').slice(1, 3)).toEqual([
      '# user file:    (none, defaults)',
      '# project file: (none)',
    ]);
  });

  it('redacts passwords and prints sizes and durations with units', () => {
    const loaded = loadWith(
      [
        '[registry]',
        'url = "https://registry.corp"',
        'username = "ada"',
        'password = "$REGISTRY_PASSWORD"',
        '[registry.upstream]',
        'password = "upstream-secret"',
      ].join('\n'),
      undefined,
      { REGISTRY_PASSWORD: 'hunter2' },
    );
    const printed = formatConfigToml(loaded);
    expect(printed).not.toContain('hunter2');
    expect(printed).not.toContain('upstream-secret');
    expect(printed).toContain('password = "<redacted>"');
    expect(printed).toContain('username = "ada"');
    expect(printed).toContain('max_size = "500MB"');
    expect(printed).toContain('idle_timeout = "30m"');
    // The secret is the only difference after a round trip.
    const reparsed = parseConfig(printed, { env: {} });
    expect(reparsed.registry.password).toBe('<redacted>');
    expect({
      ...reparsed,
      registry: { ...reparsed.registry, password: 'hunter2', upstream: loaded.config.registry.upstream },
    }).toEqual(loaded.config);
  });
});

describe('formatConfigJson', () => {
  it('prints sources, GLCI_HOME and the configuration in bytes and milliseconds, secrets redacted', () => {
    const loaded = loadWith('[registry]\npassword = "hunter2"\n[cache]\nttl = "1h"\n');
    const printed = formatConfigJson(loaded);
    expect(printed.endsWith('\n')).toBe(true);
    expect(printed).not.toContain('hunter2');
    const json = JSON.parse(printed) as {
      sources: unknown;
      glciHome: string;
      config: LoadedConfig['config'];
    };
    expect(json.sources).toEqual({ global: path.join(glciHomeDir, 'config.toml') });
    expect(json.glciHome).toBe(glciHomeDir);
    expect(json.config.cache).toEqual({ persistent: true, max_size: 500 * 1024 ** 2, ttl: 3_600_000 });
    expect(json.config.registry.password).toBe('<redacted>');
  });
});

describe('toDisplayObject', () => {
  it('turns numbers back into units and leaves the input alone', () => {
    const config = parseConfig('[daemon]\nmax_log_size = "0"', { env: {} });
    const shown = toDisplayObject(config) as {
      daemon: Record<string, unknown>;
      cache: Record<string, unknown>;
    };
    expect(shown.daemon.max_log_size).toBe('0');
    expect(shown.daemon.idle_timeout).toBe('30m');
    expect(shown.cache.ttl).toBe('1d');
    expect(config.cache.ttl).toBe(86_400_000);
  });
});

describe('toConfigToml', () => {
  it('writes loaded values as TOML that loads back to the same values, secrets and dollars kept', () => {
    const loaded = loadWith(
      [
        '[[registry.upstreams]]',
        'url = "https://registry.example"',
        'username = "puller"',
        'password = "pa$$word"',
        '[registry.proxy_cache]',
        'max_size = "2GB"',
        'unused_ttl = "7d"',
        '[cache]',
        'ttl = "90m"',
        '',
      ].join('\n'),
    ).config;
    const values = {
      registry: { upstreams: loaded.registry.upstreams, proxy_cache: loaded.registry.proxy_cache },
      cache: loaded.cache,
    };
    const reread = parseConfig(toConfigToml(values), { env: {} });
    expect(reread.registry.upstreams).toEqual(loaded.registry.upstreams);
    expect(reread.registry.upstreams[0]?.password).toBe('pa$word');
    expect(reread.registry.proxy_cache).toEqual({ max_size: 2 * 1024 ** 3, unused_ttl: 7 * 86_400_000 });
    expect(reread.cache).toEqual(loaded.cache);
  });
});
