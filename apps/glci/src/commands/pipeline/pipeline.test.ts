import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliSandbox, createCliSandbox, stackLines } from '../../test-support/run-glci.js';

const CI = `
stages: [build, test, deploy]
variables:
  GREETING: hello
build:
  stage: build
  script: make
  rules:
    - if: $CI_COMMIT_BRANCH
test:
  stage: test
  needs: [build]
  parallel: 2
  variables:
    GREETING: from-job
  script: make test
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      when: never
    - when: on_success
deploy:
  stage: deploy
  script: ./deploy
  environment: production
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
      when: manual
`;

/** A sandbox whose project is a real git repository on `main` with `CI` as its pipeline. */
function project(ci = CI): CliSandbox {
  const sandbox = createCliSandbox();
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: sandbox.project,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'a@example.com',
        GIT_COMMITTER_NAME: 'Ada',
        GIT_COMMITTER_EMAIL: 'a@example.com',
        HOME: sandbox.home,
      },
    });
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/group/app.git');
  writeFileSync(path.join(sandbox.project, '.gitlab-ci.yml'), ci);
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  return sandbox;
}

describe('glci show', () => {
  it('draws stage columns with needs and lists the excluded jobs', async ({ onTestFinished }) => {
    const sandbox = project();
    onTestFinished(() => sandbox.remove());
    const result = await sandbox.run(['show', '--context', 'branch=main']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pipeline for branch main (push)');
    expect(result.stdout).toMatch(
      /build\s+test\s+deploy\n─────\s+────\s+──────\nbuild\s+test 1\/2\s+deploy \(manual\)\n\s+← build\n\s+test 2\/2\n\s+← build/,
    );
  });

  it('prints the plan as JSON, Mermaid and DOT; a merge request excludes build by rules', async ({
    onTestFinished,
  }) => {
    const sandbox = project();
    onTestFinished(() => sandbox.remove());
    const json = await sandbox.run(['show', '--context', 'merge_request', '--json']);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout);
    expect(plan.context.source).toBe('merge_request_event');
    expect(plan.created).toBe(false);
    // Without --context a merge request that creates no pipeline gives way to the branch's, as
    // GitLab runs a branch pipeline for the push.
    const byDefault = JSON.parse((await sandbox.run(['show', '--json'])).stdout);
    expect(byDefault.context.source).toBe('push');
    expect(byDefault.created).toBe(true);
    expect(plan.excluded.map((job: { name: string; reason: string }) => [job.name, job.reason])).toEqual([
      ['build', 'no rule matched'],
      ['test 1/2', 'rule 1 matched with when: never'],
      ['test 2/2', 'rule 1 matched with when: never'],
      ['deploy', 'no rule matched'],
    ]);
    const mermaid = await sandbox.run(['show', '--context', 'branch=main', '--format', 'mermaid']);
    expect(mermaid.stdout).toMatch(/^flowchart LR\n {2}subgraph s0\["build"\]/);
    expect(mermaid.stdout).toContain('-->');
    const dot = await sandbox.run(['show', '--context', 'branch=main', '--format', 'dot']);
    expect(dot.stdout).toContain('"build" -> "test 1/2";');
  });

  it('applies a preset, [skip] and [manual] from .glciconfig.toml', async ({ onTestFinished }) => {
    const sandbox = project();
    onTestFinished(() => sandbox.remove());
    sandbox.writeProjectConfig(
      '[skip]\njobs = ["deploy"]\n\n[pipelines.quick]\ncontext = "branch=main"\nmanual_all = true\n',
    );
    const result = await sandbox.run(['show', '-p', 'quick', '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.jobs.map((job: { name: string; when: string }) => [job.name, job.when])).toEqual([
      ['build', 'manual'],
      ['test 1/2', 'manual'],
      ['test 2/2', 'manual'],
    ]);
    expect(plan.excluded).toEqual([expect.objectContaining({ name: 'deploy', by: 'local' })]);
  });

  it('exits 2 with file:line:column for an invalid configuration, and for a bad --context', async ({
    onTestFinished,
  }) => {
    const sandbox = project('build:\n  script: make\n  stage: compile\n');
    onTestFinished(() => sandbox.remove());
    const result = await sandbox.run(['show', '--context', 'branch=main']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('.gitlab-ci.yml:3:3: build job: chosen stage compile does not exist');
    expect(stackLines(result.stderr)).toEqual([]);
    const usage = await sandbox.run(['show', '--context', 'push']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown context "push"');
  });
});

describe('glci variables', () => {
  it('shows each variable with where it came from, and the rule trace', async ({ onTestFinished }) => {
    const sandbox = project();
    onTestFinished(() => sandbox.remove());
    writeFileSync(path.join(sandbox.project, '.glci.env'), 'TOKEN_HINT=local\n');
    const result = await sandbox.run([
      'variables',
      'test 1/2',
      '--context',
      'branch=main',
      '--env',
      'EXTRA=cli',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('test 1/2 (stage test): included in the pipeline');
    expect(result.stdout).toMatch(
      /GREETING\s+"from-job"\s+← jobs:test:variables\n\s+overrides "hello" from variables/,
    );
    expect(result.stdout).toMatch(/EXTRA\s+"cli"\s+← --env/);
    expect(result.stdout).toMatch(/TOKEN_HINT\s+"local"\s+← \.glci\.env/);
    expect(result.stdout).not.toContain('CI_COMMIT_SHA');
    expect(result.stdout).toContain(
      'rule 1 (.gitlab-ci.yml:18:7): did not match\n  if: $CI_PIPELINE_SOURCE == "merge_request_event" → false\n      $CI_PIPELINE_SOURCE = "push"',
    );
    const all = await sandbox.run(['variables', 'deploy', '--context', 'branch=feature', '--all', '--json']);
    const parsed = JSON.parse(all.stdout);
    expect(parsed).toMatchObject({ job: 'deploy', included: false, reason: 'no rule matched' });
    expect(
      parsed.variables.find((variable: { name: string }) => variable.name === 'CI_COMMIT_BRANCH'),
    ).toMatchObject({ value: 'feature', source: 'predefined' });
  });

  it('names the jobs when the job does not exist (exit 2)', async ({ onTestFinished }) => {
    const sandbox = project();
    onTestFinished(() => sandbox.remove());
    const result = await sandbox.run(['variables', 'tset', '--context', 'branch=main']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'no job "tset" in this pipeline; jobs: build, test 1/2, test 2/2, deploy',
    );
  });
});

describe('glci lint', () => {
  it('exits 0 for a valid file and 1 with every issue for an invalid one', async ({ onTestFinished }) => {
    const sandbox = project();
    onTestFinished(() => sandbox.remove());
    const valid = await sandbox.run(['lint']);
    expect(valid).toMatchObject({ code: 0, stdout: '.gitlab-ci.yml: valid (3 jobs, 1 file)\n' });
    writeFileSync(
      path.join(sandbox.project, 'broken.yml'),
      'a:\n  scirpt: x\nb:\n  script: x\n  when: later\n',
    );
    const invalid = await sandbox.run(['lint', path.join(sandbox.project, 'broken.yml')]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(
      'broken.yml:1:1: jobs:a config should implement the script:, run:, or trigger: keyword',
    );
    expect(invalid.stderr).toContain(
      'broken.yml:2:3: jobs:a config contains unknown keys: scirpt (did you mean "script"?)',
    );
    expect(invalid.stderr).toContain('broken.yml:5:3: jobs:b when should be one of');
    const json = await sandbox.run(['lint', path.join(sandbox.project, 'broken.yml'), '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      issues: expect.arrayContaining([
        { file: 'broken.yml', line: 5, column: 3, keyPath: 'jobs:b', message: expect.any(String) },
      ]),
    });
  });
});
