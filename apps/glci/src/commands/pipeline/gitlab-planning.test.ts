import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cloneProject, type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, it, type TestContext } from 'vitest';
import { type CliSandbox, createCliSandbox, stackLines } from '../../test-support/run-glci.js';

// GitLab cannot run here: glci show, variables and lint talk to the GitLab stand-in
// (tools/gitlab-standin), which answers as GitLab's API documentation says, over HTTPS with a CA
// made for this run, and serves the realistic fixture project (Acme's web app) over git.

const ADA = 'glpat-ada-maintainer-0000001';
const REVOKED = 'glpat-ada-revoked-00000006';

let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

/** A user's machine with a clone of the web app and [gitlab] ca_file set. */
async function webApp(context: TestContext): Promise<{ sandbox: CliSandbox; dir: string }> {
  const sandbox = createCliSandbox();
  context.onTestFinished(async () => {
    await sandbox.run(['daemon', 'stop', '--force']).catch(() => undefined);
    sandbox.remove();
  });
  sandbox.writeUserConfig(`[gitlab]\nca_file = "${standin.caFile}"\n`);
  const dir = path.join(sandbox.home, 'web-app');
  await cloneProject(standin, 'acme/platform/web-app', dir, { token: ADA });
  return { sandbox, dir };
}

const MAIN = ['--context', 'branch=main'];

describe('glci show, variables and lint through the GitLab connection', () => {
  it("show plans the web app's pipeline with every include kind and says what it cannot pass on", async (context) => {
    const { expect } = context;
    const { sandbox, dir } = await webApp(context);
    const result = await sandbox.run(['show', ...MAIN], { GITLAB_TOKEN: ADA }, dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('11 jobs in 5 stages');
    for (const job of ['container-build', 'lint: [ruff]', 'license_check', 'unit-tests', 'notify-success'])
      expect(result.stdout).toContain(job);
    expect(result.stdout).toContain('SIGNING_KEY is a hidden CI/CD variable');
    const json = await sandbox.run(['show', ...MAIN, '--json'], { GITLAB_TOKEN: ADA }, dir);
    expect(json.stdout).not.toContain('acme-group-deploy-token');
    expect(JSON.parse(json.stdout).files.some((file: { origin?: unknown }) => file.origin)).toBe(true);
  });

  it("variables shows each CI/CD variable's level, environment scope and protection, masked values hidden unless asked", async (context) => {
    const { expect } = context;
    const { sandbox, dir } = await webApp(context);
    const result = await sandbox.run(['variables', 'deploy-staging', ...MAIN], { GITLAB_TOKEN: ADA }, dir);
    expect(result.code).toBe(0);
    const line = (name: string) =>
      result.stdout.split('\n').find((each) => each.startsWith(`${name} `)) ?? '';
    expect(line('KUBE_CONTEXT')).toMatch(
      /"acme\/agents:staging"\s+← CI\/CD variables of group acme\/platform \(environment \*\)$/,
    );
    expect(line('DEPLOY_TOKEN')).toMatch(
      /\[MASKED\]\s+← CI\/CD variables of group acme \(environment \*, protected, masked\)$/,
    );
    expect(line('KUBECONFIG_STAGING')).toContain('(file: the job gets a path to it)');
    expect(line('SENTRY_DSN')).toContain('(not expanded)');
    expect(result.stdout).not.toContain('acme-group-deploy-token');
    const revealed = await sandbox.run(
      ['variables', 'deploy-staging', ...MAIN, '--show-masked', '--json'],
      { GITLAB_TOKEN: ADA },
      dir,
    );
    const variables = JSON.parse(revealed.stdout).variables as {
      name: string;
      value: string;
      ciCd?: unknown;
    }[];
    expect(variables.find((each) => each.name === 'DEPLOY_TOKEN')).toMatchObject({
      value: 'acme-group-deploy-token',
      ciCd: { level: 'group acme', environmentScope: '*', protected: true },
    });
    // The project's own variables only: the group's ACME_CI_REMOTE, in an include's URL, is missing.
    const projectOnly = ['variables', 'deploy-staging', ...MAIN, '--secrets', 'project'];
    const refused = await sandbox.run(projectOnly, { GITLAB_TOKEN: ADA }, dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'Remote file `$ACME_CI_REMOTE/notify.yml` uses $ACME_CI_REMOTE, which no variable sets',
    );
    const given = await sandbox.run(
      [...projectOnly, '--env', `ACME_CI_REMOTE=${standin.remote.url}/ci`],
      { GITLAB_TOKEN: ADA },
      dir,
    );
    expect(given.stdout).not.toContain('KUBE_CONTEXT');
    expect(given.stdout).toContain('DEPLOY_URL');
  });

  it('lint validates the configuration with its includes', async (context) => {
    const { expect } = context;
    const { sandbox, dir } = await webApp(context);
    const result = await sandbox.run(['lint'], { GITLAB_TOKEN: ADA }, dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\.gitlab-ci\.yml: valid \(12 jobs, 11 files\)/);
  });

  it('plans offline from the cache, the CI/CD variables from the running daemon, saying how old each file is', async (context) => {
    const { expect } = context;
    const { sandbox, dir } = await webApp(context);
    const env = { GITLAB_TOKEN: ADA };
    expect((await sandbox.run(['daemon', 'start'], env, dir)).code).toBe(0);
    expect((await sandbox.run(['show', ...MAIN], env, dir)).code).toBe(0);
    const before = standin.requests.length;
    const offline = await sandbox.run(['show', ...MAIN, '--offline'], env, dir);
    expect(offline.code).toBe(0);
    expect(standin.requests.length).toBe(before);
    expect(offline.stdout).toContain('11 jobs in 5 stages');
    // Each file from GitLab with the age of its copy.
    expect(offline.stdout).toMatch(
      /from GitLab:\n {2}acme\/platform\/ci-templates:templates\/base\.gitlab-ci\.yml at 4a143a7a\S* \(4a143a7a\) {2}cached \d+ (second|minute)s? ago\n/,
    );
    expect(offline.stdout).toMatch(
      / {2}template Security\/License-Check\.gitlab-ci\.yml {2}cached \d+ (second|minute)s? ago \(the instance could not be asked\)/,
    );
    expect(offline.stdout).toMatch(
      /template Security\/License-Check\.gitlab-ci\.yml: the GitLab instance could not be asked, so glci used its cached copy from \S+ \(\d+ (second|minute)s? old\)/,
    );
  });

  it('says what went wrong at the include entry, without a stack or the token', async (context) => {
    const { expect } = context;
    const { sandbox, dir } = await webApp(context);
    const result = await sandbox.run(['show', ...MAIN], { GITLAB_TOKEN: REVOKED }, dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('the token from the GITLAB_TOKEN environment variable was refused');
    expect(result.stderr).not.toContain(REVOKED);
    expect(stackLines(result.stderr)).toEqual([]);
  });

  it('shows progress for a slow fetch', async (context) => {
    const { expect } = context;
    const { sandbox, dir } = await webApp(context);
    writeFileSync(
      path.join(dir, '.gitlab-ci.yml'),
      'include:\n  - template: Jobs/License-Check.gitlab-ci.yml\nunit:\n  script: test\n',
    );
    standin.setLatency(2_300);
    try {
      const result = await sandbox.run(['show', ...MAIN, '--secrets', 'none'], { GITLAB_TOKEN: ADA }, dir);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /glci: fetching template Jobs\/License-Check\.gitlab-ci\.yml from GitLab \(2\.\d s\)…/,
      );
    } finally {
      standin.setLatency(0);
    }
  });
});
