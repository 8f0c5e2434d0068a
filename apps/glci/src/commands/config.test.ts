import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, parseConfig } from '@glci/config';
import { describe, it, type TestContext } from 'vitest';
import { type CliSandbox, createCliSandbox, stackLines } from '../test-support/run-glci.js';

function sandboxFor(context: TestContext): CliSandbox {
  const sandbox = createCliSandbox();
  context.onTestFinished(() => sandbox.remove());
  return sandbox;
}

describe('glci config', () => {
  it('prints the defaults as TOML when there are no config files', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    const result = await sandbox.run(['config']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([
      '# glci effective configuration (secrets redacted)',
      '# user file:    (none, defaults)',
      '# project file: (none)',
    ]);
    expect(result.stdout).toContain('mock_server_port = 39741\n');
    expect(result.stdout).toContain(`root = "${path.join(sandbox.glciHome, 'registry')}"\n`);
    const expected = loadConfig({ cwd: sandbox.cwd, home: sandbox.home, env: { HOME: sandbox.home } });
    expect(parseConfig(result.stdout, { env: {} })).toEqual(expected.config);
  });

  it('merges the project file found above the working directory over the user file', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeUserConfig('[cache]\nmax_size = "2GB"\nttl = "1h"\n[network]\nmock_server_port = 5000\n');
    sandbox.writeProjectConfig(
      '[cache]\nttl = "25h"\n[network.extra_hosts]\nentries = ["git.corp:10.0.0.7"]\n',
    );
    const result = await sandbox.run(['config']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(1, 3)).toEqual([
      '# user file:    ~/.glci/config.toml',
      '# project file: ~/work/app/.glciconfig.toml',
    ]);
    expect(result.stdout).toContain('max_size = "2GB"\nttl = "25h"\n');
    expect(result.stdout).toContain('mock_server_port = 5000\n');
    expect(result.stdout).toContain('entries = [ "git.corp:10.0.0.7" ]\n');
  });

  it('follows GLCI_HOME', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    const elsewhere = path.join(sandbox.home, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'config.toml'), '[daemon]\nmax_log_files = 7\n');
    const result = await sandbox.run(['config', '--json'], { GLCI_HOME: elsewhere });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.glciHome).toBe(elsewhere);
    expect(json.sources).toEqual({ global: path.join(elsewhere, 'config.toml') });
    expect(json.config.daemon.max_log_files).toBe(7);
    expect(json.config.daemon.socket).toBe(path.join(elsewhere, 'daemon.sock'));
  });

  it('prints JSON with sizes in bytes and durations in milliseconds', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeProjectConfig('[cache]\nttl = "90s"\n');
    const result = await sandbox.run(['config', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout);
    expect(json.sources).toEqual({ project: path.join(sandbox.project, '.glciconfig.toml') });
    expect(json.config.cache).toEqual({ persistent: true, max_size: 500 * 1024 ** 2, ttl: 90_000 });
  });

  it('redacts secrets in both the TOML and the JSON output', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeUserConfig(
      '[registry]\nurl = "https://registry.corp"\nusername = "ada"\npassword = "$REGISTRY_PASSWORD"\n' +
        '[[registry.upstreams]]\nurl = "https://mirror.corp"\npassword = "mirror-secret"\n',
    );
    const env = { REGISTRY_PASSWORD: 'hunter2' };
    const [toml, json] = await Promise.all([
      sandbox.run(['config'], env),
      sandbox.run(['config', '--json'], env),
    ]);
    for (const result of [toml, json]) {
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('hunter2');
      expect(result.stdout).not.toContain('mirror-secret');
      expect(result.stdout).toContain('ada');
    }
    expect(toml.stdout).toContain('password = "<redacted>"');
    expect(JSON.parse(json.stdout).config.registry.upstreams[0].password).toBe('<redacted>');
  });
});

describe('glci config --network', () => {
  it('prints the resolved network settings', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeProjectConfig('[network]\nmock_server_port = 5000\ncontainer_host = "glci.internal"\n');
    const result = await sandbox.run(['config', '--network'], { DOCKER_HOST: 'tcp://127.0.0.1:2375' });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('docker host             tcp://127.0.0.1:2375 (from DOCKER_HOST)');
    expect(lines).toContain('mock URL (host)         http://127.0.0.1:5000');
    expect(lines).toContain('mock URL (containers)   http://glci.internal:5000');
    expect(lines).toContain('extra hosts             glci.internal:host-gateway');
    expect(lines).toContain(`daemon socket           ${path.join(sandbox.glciHome, 'daemon.sock')}`);
  });

  it('takes the Docker host from the active Docker context, and from DOCKER_HOST over it, as the Docker CLI does', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    const id = createHash('sha256').update('remote').digest('hex');
    const metaDir = path.join(sandbox.dockerConfig, 'contexts', 'meta', id);
    mkdirSync(metaDir, { recursive: true });
    writeFileSync(
      path.join(metaDir, 'meta.json'),
      JSON.stringify({
        Name: 'remote',
        Endpoints: { docker: { Host: 'ssh://ada@build-box', SkipTLSVerify: false } },
      }),
    );
    writeFileSync(
      path.join(sandbox.dockerConfig, 'config.json'),
      JSON.stringify({ currentContext: 'remote' }),
    );
    const result = await sandbox.run(['config', '--network']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(
      'docker host             ssh://ada@build-box (from context remote)',
    );
    const overridden = await sandbox.run(['config', '--network'], { DOCKER_HOST: 'tcp://127.0.0.1:2375' });
    expect(overridden.stdout.split('\n')[0]).toBe(
      'docker host             tcp://127.0.0.1:2375 (from DOCKER_HOST)',
    );
  });

  it('prints JSON with --json', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    const result = await sandbox.run(['config', '--network', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout);
    expect(json.docker).toEqual({
      host: 'unix:///var/run/docker.sock',
      source: 'default',
      containerSocket: '/var/run/docker.sock',
    });
    expect(json.mockServer).toEqual({
      bind: '0.0.0.0:0',
      port: 39741,
      hostUrl: 'http://127.0.0.1:39741',
      containerUrl: 'http://host.docker.internal:39741',
    });
    expect(json.registry.ciRegistry).toBe('host.docker.internal:39741');
  });
});

describe('glci config with a bad configuration', () => {
  it.for([
    {
      what: 'an unknown key',
      user: '[network]\nmock_server_prot = 5000\n',
      line: '~/.glci/config.toml: network.mock_server_prot: unknown key (did you mean "mock_server_port"?)',
    },
    {
      what: 'a wrong type',
      user: '[docker]\nprivileged = "yes"\n',
      line: '~/.glci/config.toml: docker.privileged: expected true or false, got "yes"',
    },
    {
      what: 'a value out of range',
      project: '[network]\nmock_server_port = 70000\n',
      line: '~/work/app/.glciconfig.toml: network.mock_server_port: must be at most 65535, got 70000',
    },
    {
      what: 'bad TOML',
      project: '[cache]\nttl = "1h"\nttl = "2h"\n',
      line: '~/work/app/.glciconfig.toml:3:1: cache.ttl: invalid TOML: trying to redefine an already defined table or value',
    },
    {
      what: 'a missing environment variable',
      user: '[registry]\npassword = "$REGISTRY_PASSWORD"\n',
      line: '~/.glci/config.toml: registry.password: environment variable REGISTRY_PASSWORD is not set (referenced as "$REGISTRY_PASSWORD")',
    },
    {
      what: 'a user-only key in the project file',
      project: '[registry]\nurl = "https://evil.example"\n',
      line: '~/work/app/.glciconfig.toml: registry.url: may only be set in the user config ($GLCI_HOME/config.toml), not in a project file',
    },
  ])(
    'reports $what on stderr with exit code 2 and no stack trace',
    async ({ user, project, line }, context) => {
      const { expect } = context;
      const sandbox = sandboxFor(context);
      if (user) sandbox.writeUserConfig(user);
      if (project) sandbox.writeProjectConfig(project);
      const result = await sandbox.run(['config']);
      expect(result).toEqual({ code: 2, stdout: '', stderr: `glci: invalid configuration\n${line}\n` });
      expect(stackLines(result.stderr)).toEqual([]);
    },
  );

  it('reports it the same way for --json and --network', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeUserConfig('[cache]\nttl = 30\n');
    const stderr =
      'glci: invalid configuration\n~/.glci/config.toml: cache.ttl: a duration is a string with a unit, e.g. "30s" or "30m"; got 30\n';
    const results = await Promise.all([
      sandbox.run(['config', '--json']),
      sandbox.run(['config', '--network', '--json']),
    ]);
    expect(results).toEqual([
      { code: 2, stdout: '', stderr },
      { code: 2, stdout: '', stderr },
    ]);
  });
});
