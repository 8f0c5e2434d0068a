import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStandin, startGitlabStandin } from './standin.js';

/**
 * The bench compares glci with gitlab-ci-local on this stand-in (GitLab itself cannot run here), so
 * the stand-in must serve gitlab-ci-local the way GitLab does: project includes and components by
 * `git clone` over HTTP (private ones through the user's credential helper), remote files over
 * HTTPS. gitlab-ci-local 4.73.0 is the last release that runs on Node 20.
 */

const exec = promisify(execFile);
const GITLAB_CI_LOCAL = path.resolve(import.meta.dirname, '..', 'node_modules', '.bin', 'gitlab-ci-local');

let standin: RunningStandin;
let dir: string;
beforeAll(async () => {
  standin = await startGitlabStandin();
  dir = mkdtempSync(path.join(os.tmpdir(), 'standin-gcl-'));
});
afterAll(async () => {
  await standin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gitlab-ci-local against the stand-in', () => {
  it('fetches project, component and remote includes from it', async () => {
    const project = path.join(dir, 'web-app');
    const gitConfig = path.join(dir, 'gitconfig');
    // The user's own git access, as gitlab-ci-local expects it: a credential helper.
    writeFileSync(
      gitConfig,
      '[credential]\n\thelper = "!f() { echo username=ada; echo password=glpat-ada-maintainer-0000001; }; f"\n' +
        '[user]\n\tname = Ada\n\temail = ada@acme.test\n[init]\n\tdefaultBranch = main\n',
    );
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_CONFIG_GLOBAL: gitConfig,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_SSL_CAINFO: standin.caFile,
      NODE_EXTRA_CA_CERTS: standin.caFile,
    };
    await exec('git', ['init', '--quiet', project], { env });
    await exec(
      'git',
      ['-C', project, 'remote', 'add', 'origin', `${standin.url}/acme/platform/web-app.git`],
      { env },
    );
    writeFileSync(
      path.join(project, '.gitlab-ci.yml'),
      [
        'include:',
        '  - project: acme/platform/ci-templates',
        '    ref: v1.1.0',
        '    file: templates/jobs/package.yml',
        `  - component: ${new URL(standin.url).host}/acme/components/quality/lint@1.0.1`,
        `  - remote: ${standin.remote.url}/ci/notify.yml`,
        'stages: [test, package, notify]',
        'package:',
        '  extends: .package:python',
        '',
      ].join('\n'),
    );
    await exec('git', ['-C', project, 'add', '.'], { env });
    await exec('git', ['-C', project, 'commit', '--quiet', '-m', 'pipeline'], { env });
    const before = standin.requests.length;
    const { stdout } = await exec(GITLAB_CI_LOCAL, ['--list-json'], {
      cwd: project,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const jobs = (JSON.parse(stdout) as { name: string }[]).map((job) => job.name).sort();
    expect(jobs).toEqual(['lint: [ruff]', 'notify-failure', 'notify-success', 'package']);
    const paths = standin.requests.slice(before).map((request) => request.path);
    expect(paths).toContain('/acme/platform/ci-templates.git/git-upload-pack');
    expect(paths).toContain('/acme/components/quality.git/git-upload-pack');
    expect(standin.remote.requests).toContain('/ci/notify.yml');
  }, 120_000);
});
