import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type GlciConfig, glciHome, loadConfig, type UpstreamConfig } from '@glci/config';
import { DEFAULT_MOCK_PORT } from './mock-port.js';

/**
 * What `glci-mock` reads from its environment. Every variable is optional; the glci
 * configuration (`$GLCI_HOME/config.toml`, or `GLCI_CONFIG`) supplies storage, upstreams,
 * push-through and cache limits, and the variables override it:
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `GLCI_MOCK_HOST` | `127.0.0.1` (the image: `0.0.0.0`) | address to bind |
 * | `GLCI_MOCK_PORT` | `39741` | port to bind (0 = any free port) |
 * | `GLCI_MOCK_CONTAINER_PORT` | none | a second port, where the container's bridge-gateway publish lands: requests there (from containers) need a job token to read the registry (connection-trust.ts) |
 * | `GLCI_MOCK_SECRET` / `GLCI_MOCK_SECRET_FILE` | `<data>/internal-secret`, created | internal secret (≥ 16 characters) |
 * | `GLCI_MOCK_DATA_DIR` | `$GLCI_HOME/mock` | artifacts, git repositories |
 * | `GLCI_MOCK_STORAGE` | `registry.storage` | registry storage: a path, `memory:`, `s3://bucket/prefix?…` |
 * | `GLCI_MOCK_CACHE_DIR` | `<data>/cache` | the S3 cache volume |
 * | `GLCI_MOCK_EXTERNAL_URL` | the bound address | URL runners and jobs reach the mock at |
 * | `GLCI_MOCK_REGISTRY_HOST` | the external URL's host | `CI_REGISTRY` |
 * | `GLCI_MOCK_CONFIG_TOML` | none | the glci configuration as TOML text, used instead of the file (see below) |
 * | `GLCI_MOCK_UPSTREAMS` | `registry.upstreams` | comma-separated pull-through upstream URLs; empty = none |
 * | `GLCI_MOCK_PUSH_THROUGH_FILE` | none | `push-through.json` to poll |
 * | `GLCI_MOCK_LONG_POLL_MS` | `50000` | how long a job request is held (GitLab Workhorse's default) |
 * | `GLCI_MOCK_RUNNER_CONFIG` | none | write a runner `config.toml` here (a runner is registered for it) |
 * | `GLCI_MOCK_RUNNER_TAGS` | none | that runner's tags (comma-separated; it also runs untagged jobs) |
 * | `GLCI_MOCK_RUNNER_EXTRA_HOSTS` | `host.docker.internal:host-gateway` | its `extra_hosts` (comma-separated) |
 * | `GLCI_LOG_LEVEL`, `GLCI_LOG_JSON=1` | `info` | logging |
 *
 * `GLCI_MOCK_CONFIG_TOML` is how `glci run` hands its mock container the parts of the user's
 * configuration the mock acts on (upstreams with their credentials, the cache bounds): the
 * container cannot read `~/.glci/config.toml`. It is written to `<data>/config.toml` (0600) and
 * read from there, so a mistake in it is reported against that file.
 */
export interface MockSettings {
  readonly host: string;
  readonly port: number;
  /** The port for connections from other containers (`GLCI_MOCK_CONTAINER_PORT`). */
  readonly containerPort?: number;
  readonly secret: string;
  readonly dataDir: string;
  readonly config: GlciConfig;
  readonly storageUrl?: string;
  readonly cacheDir?: string;
  readonly externalUrl?: string;
  readonly registryHost?: string;
  readonly upstreams?: readonly UpstreamConfig[];
  readonly pushThroughFile?: string;
  readonly longPollMs: number;
  /**
   * Seconds between the runner's trace uploads (`X-GitLab-Trace-Update-Interval`). GitLab asks
   * for 3 while someone watches a job; the mock's container asks for 1, since `glci run` always
   * shows the logs live and the uploads cost nothing on one machine.
   */
  readonly traceUpdateInterval: number;
  readonly runnerConfig?: {
    readonly path: string;
    readonly tags: readonly string[];
    readonly extraHosts: readonly string[];
  };
  readonly logJson: boolean;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Reads the settings; creates the data directory and, when no secret is given, a persistent one. */
export async function readMockSettings(env: NodeJS.ProcessEnv, home = os.homedir()): Promise<MockSettings> {
  const dataDir = path.resolve(env.GLCI_MOCK_DATA_DIR || path.join(glciHome(env, home), 'mock'));
  await mkdir(dataDir, { recursive: true });
  let globalFile = env.GLCI_CONFIG;
  if (env.GLCI_MOCK_CONFIG_TOML) {
    globalFile = path.join(dataDir, 'config.toml');
    await writeFile(globalFile, env.GLCI_MOCK_CONFIG_TOML, { mode: 0o600 });
    await chmod(globalFile, 0o600); // it may hold upstream passwords (mode applies only on create)
  }
  const loaded = loadConfig({ env, home, projectFile: null, ...(globalFile ? { globalFile } : {}) });
  const upstreams =
    env.GLCI_MOCK_UPSTREAMS === undefined ? undefined : parseUpstreams(env.GLCI_MOCK_UPSTREAMS);
  const runnerConfigPath = env.GLCI_MOCK_RUNNER_CONFIG;
  return {
    host: env.GLCI_MOCK_HOST || '127.0.0.1',
    port: parsePort(env.GLCI_MOCK_PORT),
    ...(env.GLCI_MOCK_CONTAINER_PORT
      ? {
          containerPort: parseInteger(env.GLCI_MOCK_CONTAINER_PORT, 0, 'GLCI_MOCK_CONTAINER_PORT', 1, 65_535),
        }
      : {}),
    secret: await readSecret(env, dataDir),
    dataDir,
    config: loaded.config,
    ...(env.GLCI_MOCK_STORAGE ? { storageUrl: env.GLCI_MOCK_STORAGE } : {}),
    ...(env.GLCI_MOCK_CACHE_DIR ? { cacheDir: path.resolve(env.GLCI_MOCK_CACHE_DIR) } : {}),
    ...(env.GLCI_MOCK_EXTERNAL_URL ? { externalUrl: parseUrl(env.GLCI_MOCK_EXTERNAL_URL) } : {}),
    ...(env.GLCI_MOCK_REGISTRY_HOST ? { registryHost: env.GLCI_MOCK_REGISTRY_HOST } : {}),
    ...(upstreams ? { upstreams } : {}),
    ...(env.GLCI_MOCK_PUSH_THROUGH_FILE
      ? { pushThroughFile: path.resolve(env.GLCI_MOCK_PUSH_THROUGH_FILE) }
      : {}),
    longPollMs: parseInteger(env.GLCI_MOCK_LONG_POLL_MS, 50_000, 'GLCI_MOCK_LONG_POLL_MS', 0, 600_000),
    traceUpdateInterval: parseInteger(
      env.GLCI_MOCK_TRACE_UPDATE_INTERVAL,
      1,
      'GLCI_MOCK_TRACE_UPDATE_INTERVAL',
      1,
      900,
    ),
    ...(runnerConfigPath
      ? {
          runnerConfig: {
            path: path.resolve(runnerConfigPath),
            tags: list(env.GLCI_MOCK_RUNNER_TAGS),
            extraHosts: env.GLCI_MOCK_RUNNER_EXTRA_HOSTS
              ? list(env.GLCI_MOCK_RUNNER_EXTRA_HOSTS)
              : ['host.docker.internal:host-gateway'],
          },
        }
      : {}),
    logJson: env.GLCI_LOG_JSON === '1' || env.GLCI_LOG_JSON === 'true',
  };
}

function parsePort(value: string | undefined): number {
  return parseInteger(value, DEFAULT_MOCK_PORT, 'GLCI_MOCK_PORT', 0, 65_535);
}

function parseInteger(value: string | undefined, fallback: number, name: string, min: number, max: number) {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`expected an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingsError(`expected an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, '');
}

function parseUpstreams(value: string): UpstreamConfig[] {
  return list(value).map((url) => ({ url: parseUrl(url), insecure: false, cache_validity_hours: 24 }));
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `GLCI_MOCK_SECRET`, else `GLCI_MOCK_SECRET_FILE`, else `<dataDir>/internal-secret` (created 0600). */
async function readSecret(env: NodeJS.ProcessEnv, dataDir: string): Promise<string> {
  let secret = env.GLCI_MOCK_SECRET;
  if (!secret && env.GLCI_MOCK_SECRET_FILE)
    secret = (await readFile(env.GLCI_MOCK_SECRET_FILE, 'utf8')).trim();
  if (!secret) {
    const file = path.join(dataDir, 'internal-secret');
    try {
      secret = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      secret = randomBytes(32).toString('base64url');
      await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    }
  }
  if (secret.length < 16) throw new SettingsError('the internal secret must have at least 16 characters');
  return secret;
}
