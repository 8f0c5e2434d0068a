import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMockSettings } from './settings.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'glci-mock-settings-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('readMockSettings', () => {
  it('defaults: port 39741 on 127.0.0.1, data under $GLCI_HOME/mock, a persistent generated secret', async () => {
    const env = { GLCI_HOME: path.join(home, '.glci') };
    const settings = await readMockSettings(env, home);
    expect(settings.host).toBe('127.0.0.1');
    expect(settings.port).toBe(39741);
    expect(settings.dataDir).toBe(path.join(home, '.glci', 'mock'));
    expect(settings.secret.length).toBeGreaterThanOrEqual(32);
    const file = path.join(settings.dataDir, 'internal-secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readMockSettings(env, home)).secret).toBe(settings.secret);
    expect(settings.upstreams).toBeUndefined();
    expect(settings.config.registry.upstreams.map((u) => u.url)).toEqual([
      'https://registry.gitlab.com',
      'https://registry-1.docker.io',
    ]);
    expect(settings.runnerConfig).toBeUndefined();
    expect(settings.longPollMs).toBe(50_000);
    expect(settings.traceUpdateInterval).toBe(1);
  });

  it('reads every variable', async () => {
    const secretFile = path.join(home, 'secret');
    await writeFile(secretFile, 'a-secret-from-a-file-0123\n');
    const settings = await readMockSettings(
      {
        GLCI_HOME: path.join(home, '.glci'),
        GLCI_MOCK_HOST: '0.0.0.0',
        GLCI_MOCK_PORT: '0',
        GLCI_MOCK_SECRET_FILE: secretFile,
        GLCI_MOCK_DATA_DIR: path.join(home, 'data'),
        GLCI_MOCK_STORAGE: 'memory:',
        GLCI_MOCK_CACHE_DIR: path.join(home, 'cache'),
        GLCI_MOCK_EXTERNAL_URL: 'http://glci-mock:39741/',
        GLCI_MOCK_REGISTRY_HOST: 'glci-mock:39741',
        GLCI_MOCK_UPSTREAMS: 'http://127.0.0.1:5000, https://mirror.example',
        GLCI_MOCK_PUSH_THROUGH_FILE: path.join(home, 'push-through.json'),
        GLCI_MOCK_LONG_POLL_MS: '500',
        GLCI_MOCK_TRACE_UPDATE_INTERVAL: '3',
        GLCI_MOCK_RUNNER_CONFIG: path.join(home, 'runner', 'config.toml'),
        GLCI_MOCK_RUNNER_TAGS: 'docker, glci',
        GLCI_MOCK_RUNNER_EXTRA_HOSTS: 'glci-mock:172.17.0.1',
        GLCI_LOG_JSON: '1',
      },
      home,
    );
    expect(settings).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      secret: 'a-secret-from-a-file-0123',
      dataDir: path.join(home, 'data'),
      storageUrl: 'memory:',
      cacheDir: path.join(home, 'cache'),
      externalUrl: 'http://glci-mock:39741',
      registryHost: 'glci-mock:39741',
      pushThroughFile: path.join(home, 'push-through.json'),
      longPollMs: 500,
      traceUpdateInterval: 3,
      runnerConfig: {
        path: path.join(home, 'runner', 'config.toml'),
        tags: ['docker', 'glci'],
        extraHosts: ['glci-mock:172.17.0.1'],
      },
      logJson: true,
    });
    expect(settings.upstreams?.map((u) => u.url)).toEqual([
      'http://127.0.0.1:5000',
      'https://mirror.example',
    ]);
  });

  it('takes the glci configuration file', async () => {
    const file = path.join(home, 'config.toml');
    await writeFile(file, '[registry]\nupstreams = []\npush_through = true\n[cache]\nmax_size = "1GB"\n');
    const settings = await readMockSettings({ GLCI_CONFIG: file, GLCI_MOCK_SECRET: 's'.repeat(16) }, home);
    expect(settings.config.registry.upstreams).toEqual([]);
    expect(settings.config.registry.push_through).toBe(true);
    expect(settings.config.cache.max_size).toBe(1024 ** 3);
    expect(settings.secret).toBe('s'.repeat(16));
  });

  it('takes the configuration glci run hands over as TOML, kept 0600 in the data directory', async () => {
    const toml = [
      '[[registry.upstreams]]',
      'url = "https://registry.example"',
      'username = "puller"',
      'password = "s3cret"',
      '[registry.proxy_cache]',
      'max_size = "2GB"',
      '[cache]',
      'max_size = "1GB"',
      '',
    ].join('\n');
    const settings = await readMockSettings({ GLCI_HOME: home, GLCI_MOCK_CONFIG_TOML: toml }, home);
    expect(settings.config.registry.upstreams).toEqual([
      expect.objectContaining({ url: 'https://registry.example', username: 'puller', password: 's3cret' }),
    ]);
    expect(settings.config.registry.proxy_cache.max_size).toBe(2 * 1024 ** 3);
    expect(settings.config.cache.max_size).toBe(1024 ** 3);
    const written = await stat(path.join(settings.dataDir, 'config.toml'));
    expect(written.mode & 0o777).toBe(0o600);
  });

  it('reports a mistake in the handed-over TOML against the file it was written to', async () => {
    await expect(
      readMockSettings({ GLCI_HOME: home, GLCI_MOCK_CONFIG_TOML: '[cache]\nmax_size = "lots"\n' }, home),
    ).rejects.toThrow(/config\.toml[\s\S]*cache\.max_size/);
  });

  it('an empty GLCI_MOCK_UPSTREAMS switches the proxy off', async () => {
    const settings = await readMockSettings({ GLCI_HOME: home, GLCI_MOCK_UPSTREAMS: '' }, home);
    expect(settings.upstreams).toEqual([]);
  });

  it.each([
    [{ GLCI_MOCK_PORT: '70000' }, /GLCI_MOCK_PORT/],
    [{ GLCI_MOCK_PORT: 'x' }, /GLCI_MOCK_PORT/],
    [{ GLCI_MOCK_LONG_POLL_MS: '-1' }, /GLCI_MOCK_LONG_POLL_MS/],
    [{ GLCI_MOCK_SECRET: 'short' }, /16 characters/],
    [{ GLCI_MOCK_EXTERNAL_URL: 'ftp://x' }, /http\(s\) URL/],
    [{ GLCI_MOCK_UPSTREAMS: 'not a url' }, /http\(s\) URL/],
  ])('refuses %j', async (env, message) => {
    await expect(readMockSettings({ GLCI_HOME: home, ...env }, home)).rejects.toThrow(message);
  });

  it('never writes a given secret to disk', async () => {
    const settings = await readMockSettings({ GLCI_HOME: home, GLCI_MOCK_SECRET: 'x'.repeat(20) }, home);
    await expect(readFile(path.join(settings.dataDir, 'internal-secret'))).rejects.toThrow(/ENOENT/);
  });
});
