import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { formatConfigJson, formatConfigToml } from './format.js';
import { loadConfig, parseConfig } from './load.js';
import { configSchema } from './schema.js';

/** The `[gitlab]` section: the user's GitLab instance, its token and how glci talks to it. */

let root: string;
let glciHomeDir: string;
let project: string;
let userFile: string;
let projectFile: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'glci-gitlab-config-'));
  glciHomeDir = path.join(root, 'glci-home');
  project = path.join(root, 'project');
  mkdirSync(glciHomeDir);
  mkdirSync(project);
  userFile = path.join(glciHomeDir, 'config.toml');
  projectFile = path.join(project, '.glciconfig.toml');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const load = (env: Record<string, string> = {}) =>
  loadConfig({ cwd: project, home: root, env: { GLCI_HOME: glciHomeDir, ...env } });

function errorsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('expected the configuration to be rejected');
}

describe('[gitlab] defaults', () => {
  it('has no URL and no token of its own, a 30s timeout, 6h secrets, 5m moving include refs, 8 parallel fetches and 2MB remote files', () => {
    expect(configSchema.parse({}).gitlab).toEqual({
      token_type: 'auto',
      timeout: 30_000,
      secrets_ttl: 6 * 3_600_000,
      includes_ttl: 5 * 60_000,
      concurrency: 8,
      remote_max_size: 2 * 1024 ** 2,
    });
  });

  it('reads every key with units', () => {
    const config = parseConfig(
      '[gitlab]\nurl = "https://gitlab.corp"\ntoken = "glpat-abc"\ntoken_type = "oauth"\ntimeout = "10s"\nsecrets_ttl = "0"\nincludes_ttl = "1m"\nconcurrency = 2\nremote_max_size = "512KB"\n',
      { env: {} },
    );
    expect(config.gitlab).toEqual({
      url: 'https://gitlab.corp',
      token: 'glpat-abc',
      token_type: 'oauth',
      timeout: 10_000,
      secrets_ttl: 0,
      includes_ttl: 60_000,
      concurrency: 2,
      remote_max_size: 512 * 1024,
    });
  });
});

describe('[gitlab] errors name the file, the key and what was expected', () => {
  it.each([
    ['url = "ftp://gitlab.corp"', 'gitlab.url: expected an http:// or https:// URL, got "ftp://gitlab.corp"'],
    ['token_type = "bearer"', 'gitlab.token_type: expected "auto" or "private" or "oauth", got "bearer"'],
    ['timeout = "0"', 'gitlab.timeout: expected a duration above 0, e.g. "30s", got 0'],
    ['timeout = 30', 'gitlab.timeout: a duration is a string with a unit, e.g. "30s" or "30m"; got 30'],
    ['concurrency = 0', 'gitlab.concurrency: must be at least 1, got 0'],
    ['tokn = "x"', 'gitlab.tokn: unknown key (did you mean "token"?)'],
  ])('%s', (line, message) => {
    writeFileSync(userFile, `[gitlab]\n${line}\n`);
    expect(errorsOf(() => load())).toEqual([`${userFile}: ${message}`]);
  });

  it('names the unset environment variable a token refers to', () => {
    writeFileSync(userFile, '[gitlab]\ntoken = "$CORP_GITLAB_TOKEN"\n');
    expect(errorsOf(() => load())).toEqual([
      `${userFile}: gitlab.token: environment variable CORP_GITLAB_TOKEN is not set (referenced as "$CORP_GITLAB_TOKEN")`,
    ]);
  });
});

describe('[gitlab] in a project file', () => {
  const userOnly = 'may only be set in the user config ($GLCI_HOME/config.toml), not in a project file';

  it.each([
    ['url = "https://evil.example"', 'gitlab.url'],
    ['ca_file = "ca.pem"', 'gitlab.ca_file'],
    ['token = "$GITLAB_TOKEN"', 'gitlab.token'],
  ])('refuses %s: the token would go where the repository says', (line, key) => {
    writeFileSync(projectFile, `[gitlab]\n${line}\n`);
    expect(errorsOf(() => load({ GITLAB_TOKEN: 'glpat-secret' }))).toEqual([
      `${projectFile}: ${key}: ${userOnly}`,
    ]);
  });

  it('may tune the timeout and the parallelism', () => {
    writeFileSync(userFile, '[gitlab]\nurl = "https://gitlab.corp"\n');
    writeFileSync(projectFile, '[gitlab]\ntimeout = "1m"\nconcurrency = 4\n');
    expect(load().config.gitlab).toMatchObject({
      url: 'https://gitlab.corp',
      timeout: 60_000,
      concurrency: 4,
    });
  });
});

describe('[gitlab] paths and secrets', () => {
  it('resolves a relative ca_file against the user file', () => {
    writeFileSync(userFile, '[gitlab]\nca_file = "certs/corp-ca.pem"\n');
    expect(load().config.gitlab.ca_file).toBe(path.join(glciHomeDir, 'certs', 'corp-ca.pem'));
  });

  it('never prints the token', () => {
    writeFileSync(userFile, '[gitlab]\ntoken = "$GITLAB_TOKEN"\n');
    const loaded = load({ GITLAB_TOKEN: 'glpat-never-printed' });
    expect(loaded.config.gitlab.token).toBe('glpat-never-printed');
    expect(formatConfigToml(loaded)).not.toContain('glpat-never-printed');
    expect(formatConfigJson(loaded)).not.toContain('glpat-never-printed');
    expect(formatConfigToml(loaded)).toContain('token = "<redacted>"');
  });
});
