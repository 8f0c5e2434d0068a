import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveJobVariables } from './job-spec.js';
import { planDynamicChild, planProject } from './plan-project.js';
import { createTempRepo, type TempRepo } from './test-support/git-repo.js';
import { standinConnection } from './test-support/standin-project.js';

// Child and downstream pipelines whose configuration comes from the GitLab stand-in (GitLab cannot
// run here; see tools/gitlab-standin), planned from a real git repository.

let standin: RunningStandin;
let work: string;
let repo: TempRepo;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-downstream-'));
  repo = createTempRepo();
  repo.git('remote', 'set-url', 'origin', `${standin.url}/acme/platform/web-app.git`);
});
afterAll(async () => {
  await standin?.close();
  repo?.remove();
  rmSync(work, { recursive: true, force: true });
});

const freshHome = () => mkdtempSync(path.join(work, 'home-'));
const MAIN = { kind: 'branch', name: 'main' } as const;
const fqdn = () => new URL(standin.url).host;

describe('child pipelines take every include kind', () => {
  it('plans a child from another project, a component, a template and a local file', async () => {
    repo.write(
      '.gitlab-ci.yml',
      `stages: [build, test]
variables:
  GLOBAL: parent
docs:
  stage: build
  variables:
    FORWARDED: from-$GLOBAL
  trigger:
    include:
      - project: acme/platform/ci-templates
        ref: v1.1.0
        file: templates/jobs/package.yml
      - component: ${fqdn()}/acme/components/quality/lint@1.0.1
        inputs: {linters: [ruff]}
      - local: ci/child.yml
    strategy: depend
license:
  stage: test
  trigger:
    include:
      - template: Jobs/License-Check.gitlab-ci.yml
`,
    );
    repo.write('requirements.txt', 'flask\n');
    mkdirSync(path.join(repo.dir, 'ci'), { recursive: true });
    repo.write(
      'ci/child.yml',
      'stages: [test, package]\nPYTHON_VERSION_JOB:\n  stage: package\n  extends: .package:python\n  variables: {PYTHON_VERSION: "3.12"}\n',
    );
    repo.commit('child pipelines');
    const plan = await planProject({
      dir: repo.dir,
      context: MAIN,
      gitlab: standinConnection(standin, freshHome()),
    });
    const docs = plan.jobs.find((job) => job.name === 'docs')!.trigger!;
    expect(docs.kind).toBe('child');
    expect(docs.pipeline!.context.source).toBe('parent_pipeline');
    expect(docs.pipeline!.jobs.map((job) => job.name)).toEqual(['lint: [ruff]', 'PYTHON_VERSION_JOB']);
    expect(resolveJobVariables(docs.pipeline!.jobs[0]!).get('FORWARDED')).toBe('from-parent');
    expect(docs.pipeline!.files.map((file) => file.name)).toEqual([
      'acme/platform/ci-templates:templates/jobs/package.yml',
      'acme/components/quality:templates/lint.yml',
      'ci/child.yml',
    ]);
    const license = plan.jobs.find((job) => job.name === 'license')!.trigger!;
    expect(license.pipeline!.jobs.map((job) => job.name)).toEqual(['license_check']);
  });
});

describe('dynamic child pipelines', () => {
  it('are planned once the generating job ran, from its artifact, with the local files it includes', async () => {
    repo.write(
      '.gitlab-ci.yml',
      `stages: [generate, run]
generate:
  stage: generate
  script: ./generate > child.yml
  artifacts: {paths: [child.yml]}
run-child:
  stage: run
  variables:
    TARGET: staging
  trigger:
    include:
      - artifact: child.yml
        job: generate
    strategy: depend
`,
    );
    repo.write('shared.yml', '.shared:\n  script: echo shared $TARGET\n');
    repo.commit('dynamic child');
    const request = { dir: repo.dir, context: MAIN, gitlab: standinConnection(standin, freshHome()) };
    const plan = await planProject(request);
    const trigger = plan.jobs.find((job) => job.name === 'run-child')!.trigger!;
    expect(trigger.kind === 'child' && trigger.dynamic).toMatchObject({
      job: 'generate',
      artifact: 'child.yml',
      depth: 1,
    });
    if (trigger.kind !== 'child' || !trigger.dynamic) throw new Error('not a dynamic child');
    const read: string[] = [];
    const child = await planDynamicChild(request, trigger.dynamic, async (job, file) => {
      read.push(`${job}:${file}`);
      return 'include: shared.yml\ngenerated-a:\n  extends: .shared\ngenerated-b:\n  script: echo b\n';
    });
    expect(read).toEqual(['generate:child.yml']);
    expect(child.context.source).toBe('parent_pipeline');
    expect(child.jobs.map((job) => job.name)).toEqual(['generated-a', 'generated-b']);
    expect(resolveJobVariables(child.jobs[0]!).get('TARGET')).toBe('staging');
    await expect(planDynamicChild(request, trigger.dynamic, async () => undefined)).rejects.toThrow(
      'Included file `child.yml` is empty or does not exist! (job generate did not keep it among its artifacts)',
    );
  });
});

describe('trigger: project without a local checkout', () => {
  it('clones the project from the instance with the token and plans its pipeline', async () => {
    repo.write(
      '.gitlab-ci.yml',
      'deploy-docs:\n  trigger:\n    project: acme/platform/schemas\n    branch: main\n',
    );
    repo.commit('downstream');
    const gitlab = standinConnection(standin, freshHome());
    const plan = await planProject({ dir: repo.dir, context: MAIN, gitlab });
    const downstream = plan.jobs[0]!.trigger!;
    expect(downstream.kind).toBe('project');
    expect(downstream.pipeline!.context).toMatchObject({
      source: 'pipeline',
      projectPath: 'acme/platform/schemas',
      ref: 'main',
      sha: standin.sha('acme/platform/schemas', '01-initial'),
    });
    expect(downstream.pipeline!.jobs.map((job) => job.name)).toEqual(['publish-schemas']);
    const anonymous = await planProject({
      dir: repo.dir,
      context: MAIN,
      gitlab: standinConnection(standin, freshHome(), { token: null }),
    });
    // Without a token the git fallback cannot read the internal project: no downstream plan, said once.
    expect(anonymous.jobs[0]!.trigger!.pipeline).toBeUndefined();
  });
});
