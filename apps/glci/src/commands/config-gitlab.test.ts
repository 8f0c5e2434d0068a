import { execFileSync } from 'node:child_process';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, it, type TestContext } from 'vitest';
import { type CliSandbox, createCliSandbox, stackLines } from '../test-support/run-glci.js';

// GitLab cannot run here: `--check` talks to the GitLab stand-in (tools/gitlab-standin), which
// answers as GitLab's API documentation says, over HTTPS with a CA made for this run.

const ADA = 'glpat-ada-maintainer-0000001';
const BOB = 'glpat-bob-developer-0000004';
const REVOKED = 'glpat-ada-revoked-00000006';

let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

function sandboxFor(context: TestContext, options: { origin?: string; caFile?: boolean } = {}): CliSandbox {
  const sandbox = createCliSandbox();
  context.onTestFinished(() => sandbox.remove());
  if (options.caFile !== false) sandbox.writeUserConfig(`[gitlab]\nca_file = "${standin.caFile}"\n`);
  if (options.origin) {
    execFileSync('git', ['init', '--quiet', sandbox.project]);
    execFileSync('git', ['-C', sandbox.project, 'remote', 'add', 'origin', options.origin]);
  }
  return sandbox;
}

const webAppOrigin = () => `${standin.url}/acme/platform/web-app.git`;

describe('glci config --gitlab', () => {
  it('falls back to gitlab.com without a token when nothing names an instance', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context, { caFile: false });
    const result = await sandbox.run(['config', '--gitlab']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      'instance         https://gitlab.com (the default: no GITLAB_URL, [gitlab] url or GitLab origin remote)',
    );
    expect(lines[1]).toBe(
      'token            none (set GITLAB_TOKEN for private projects, CI/CD variables and the API)',
    );
    expect(lines).toContain(
      'project files    through git, with your own git access (ssh keys, credential helper)',
    );
    expect(lines).toContain('secrets ttl      6h');
  });

  it('takes the instance and the project from the origin remote, and says where the token came from, never its value', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context, { origin: webAppOrigin() });
    const result = await sandbox.run(['config', '--gitlab'], { GITLAB_TOKEN: ADA });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`instance         ${standin.url} (from the origin remote)\n`);
    expect(result.stdout).toContain(
      'token            from the GITLAB_TOKEN environment variable, sent as PRIVATE-TOKEN\n',
    );
    expect(result.stdout).toContain('project          acme/platform/web-app\n');
    expect(result.stdout).toContain(`ca file          ${standin.caFile}\n`);
    expect(result.stdout + result.stderr).not.toContain(ADA);
  });

  it('prints JSON with --json, without the token', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeUserConfig(`[gitlab]\nurl = "${standin.url}"\ntoken = "$MY_GITLAB_TOKEN"\n`);
    const result = await sandbox.run(['config', '--gitlab', '--json'], { MY_GITLAB_TOKEN: ADA });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.instance).toEqual({
      url: standin.url,
      source: 'from [gitlab] url',
      fqdn: new URL(standin.url).host,
    });
    expect(json.token).toEqual({
      present: true,
      source: '[gitlab] token in ~/.glci/config.toml',
      header: 'PRIVATE-TOKEN',
    });
    expect(json.access).toBe('api');
    expect(result.stdout).not.toContain(ADA);
  });
});

describe('glci config --gitlab --check', () => {
  it('says the token works and what it may read', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context, { origin: webAppOrigin() });
    const result = await sandbox.run(['config', '--gitlab', '--check'], { GITLAB_TOKEN: ADA });
    expect(result.code).toBe(0);
    // Columns are padded to the longest label; compare with single spaces.
    const lines = result.stdout.split('\n').map((line) => line.trim().replace(/\s+/g, ' '));
    for (const line of [
      'check ok: the instance answers (GitLab 17.9.1)',
      'user ada',
      "token scopes api (glci on ada's laptop)",
      'project acme/platform/web-app visible, role Maintainer',
      'repository readable',
      'CI/CD variables readable',
      'protected refs readable',
      'group acme variables readable',
      'group acme/platform variables readable',
      'instance variables not readable (403)',
    ]) {
      expect(lines).toContain(line);
    }
    expect(result.stdout).not.toContain(ADA);
  });

  it("reports what a Developer's token may not read, as JSON", async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context, { origin: webAppOrigin() });
    const result = await sandbox.run(['config', '--gitlab', '--check', '--json'], { GITLAB_TOKEN: BOB });
    expect(result.code).toBe(0);
    const { check } = JSON.parse(result.stdout);
    expect(check).toMatchObject({
      reachable: true,
      tokenAccepted: true,
      user: { username: 'bob', bot: false },
      scopes: ['read_api'],
      project: {
        path: 'acme/platform/web-app',
        visible: true,
        role: 'Developer',
        repository: { ok: true },
        variables: { ok: false, status: 403 },
      },
    });
  });

  it('checks another project with --project', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    const result = await sandbox.run(
      ['config', '--gitlab', '--check', '--project', 'acme/components/container'],
      { GITLAB_URL: standin.url, GITLAB_TOKEN: BOB },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^project acme\/components\/container +visible, role none$/m);
  });

  it('fails with exit code 1 when the token is refused, saying where it came from', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context, { origin: webAppOrigin() });
    const result = await sandbox.run(['config', '--gitlab', '--check'], { GITLAB_TOKEN: REVOKED });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'check            FAILED: the token from the GITLAB_TOKEN environment variable was refused: it is wrong, expired or revoked\n',
    );
    expect(result.stdout + result.stderr).not.toContain(REVOKED);
    expect(stackLines(result.stderr)).toEqual([]);
  });

  it('fails with exit code 1 when the project is not visible to the token', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context, { origin: webAppOrigin() });
    const result = await sandbox.run(['config', '--gitlab', '--check']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^project acme\/platform\/web-app +FAILED: not found, or not visible without a token \(set GITLAB_TOKEN\)$/m,
    );
  });

  it('fails with exit code 1 when the instance does not answer', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    const result = await sandbox.run(['config', '--gitlab', '--check'], {
      GITLAB_URL: 'https://127.0.0.1:1',
      GITLAB_TOKEN: ADA,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'check            FAILED: current user: https://127.0.0.1:1/api/v4/user could not be reached (ECONNREFUSED)\n',
    );
  });

  it('refuses a GITLAB_URL that is not a URL with exit code 2 and no stack trace', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    const result = await sandbox.run(['config', '--gitlab'], { GITLAB_URL: 'gitlab.example.com' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'glci: GitLab URL "gitlab.example.com" is not a URL: expected e.g. https://gitlab.example.com\n',
    );
  });

  it('documents the options in --help', async (context) => {
    const { expect } = context;
    const result = await sandboxFor(context).run(['config', '--help']);
    expect(result.stdout).toContain('--gitlab');
    expect(result.stdout).toContain('--check');
    expect(result.stdout).toContain('--project <path>');
  });
});
