import { createHash } from 'node:crypto';
import { jobSpecSchema } from '@glci/runner-api';
import { describe, expect, it } from 'vitest';
import { PipelineConfigError } from '../errors.js';
import { artifactSources, resolveJobVariables, toJobSpec } from '../job-spec.js';
import { jobsOf, planFiles, SHA } from '../test-support/fixtures.js';

const ci = (yaml: string) => ({ '.gitlab-ci.yml': yaml });

describe('contexts and predefined variables', () => {
  it.each([
    [
      { kind: 'branch', name: 'main' } as const,
      {
        CI_PIPELINE_SOURCE: 'push',
        CI_COMMIT_BRANCH: 'main',
        CI_COMMIT_REF_NAME: 'main',
        CI_DEFAULT_BRANCH: 'main',
        CI_COMMIT_TAG: undefined,
        CI_MERGE_REQUEST_IID: undefined,
      },
    ],
    [
      { kind: 'merge_request' } as const,
      {
        CI_PIPELINE_SOURCE: 'merge_request_event',
        CI_COMMIT_BRANCH: undefined,
        CI_COMMIT_REF_NAME: 'feature',
        CI_MERGE_REQUEST_IID: '1',
        CI_MERGE_REQUEST_TITLE: 'local',
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature',
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
        CI_MERGE_REQUEST_EVENT_TYPE: 'detached',
      },
    ],
    [
      { kind: 'tag', name: 'v1.2.0' } as const,
      {
        CI_PIPELINE_SOURCE: 'push',
        CI_COMMIT_TAG: 'v1.2.0',
        CI_COMMIT_REF_NAME: 'v1.2.0',
        CI_COMMIT_BRANCH: undefined,
      },
    ],
    [
      { kind: 'env', name: 'staging' } as const,
      { CI_PIPELINE_SOURCE: 'push', CI_ENVIRONMENT_NAME: 'staging', CI_COMMIT_BRANCH: 'feature' },
    ],
  ])('%j sets exactly its variables', async (context, expected) => {
    const plan = await planFiles(ci('job:\n  script: x\n  rules: [{when: always}]\n'), { context });
    const variables = resolveJobVariables(plan.jobs[0]!);
    for (const [name, value] of Object.entries(expected))
      expect([name, variables.get(name)]).toEqual([name, value]);
    expect(variables.get('CI_COMMIT_SHA')).toBe(SHA);
    expect(variables.get('CI_COMMIT_TITLE')).toBe('Add the thing');
    expect(variables.get('CI_PROJECT_PATH')).toBe('group/app');
    expect(variables.get('CI_SERVER_HOST')).toBe('gitlab.example.com');
  });
});

describe('rules', () => {
  const yaml = `
stages: [build, test, deploy]
build:
  stage: build
  script: make
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
test:
  stage: test
  script: make test
  rules:
    - changes: [src/**/*.c]
      when: on_success
    - when: manual
      allow_failure: true
deploy:
  stage: deploy
  script: deploy
  variables: {TARGET: staging}
  rules:
    - if: $CI_COMMIT_TAG
      variables: {TARGET: production}
    - if: $CI_COMMIT_BRANCH == "main"
      when: delayed
      start_in: 30 minutes
    - when: never
docs:
  script: mkdocs
  rules:
    - exists: [mkdocs.yml]
`;

  it('a merge request pipeline: build by rule 1, test by changes, deploy never, docs without mkdocs.yml', async () => {
    const plan = await planFiles(ci(yaml), {
      context: { kind: 'merge_request' },
      changed: ['src/app/main.c'],
    });
    expect(jobsOf(plan)).toEqual({ build: 'on_success', test: 'on_success' });
    expect(plan.excluded.map((job) => [job.name, job.reason])).toEqual([
      ['deploy', 'rule 3 matched with when: never'],
      ['docs', 'no rule matched'],
    ]);
    expect(plan.jobs[0]!.inclusion).toMatchObject({ kind: 'rules', ruleIndex: 0 });
  });

  it('main: delayed deploy with start_in, manual test allowed to fail when nothing changed', async () => {
    const plan = await planFiles(
      { ...ci(yaml), 'mkdocs.yml': '' },
      { context: { kind: 'branch', name: 'main' }, upstream: 'e'.repeat(40), changed: ['README.md'] },
    );
    expect(jobsOf(plan)).toEqual({
      build: 'on_success',
      test: 'manual',
      deploy: 'delayed',
      docs: 'on_success',
    });
    const deploy = plan.jobs.find((job) => job.name === 'deploy')!;
    expect(deploy).toMatchObject({ startIn: '30 minutes', startInSeconds: 1800, allowFailure: false });
    expect(plan.jobs.find((job) => job.name === 'test')!.allowFailure).toBe(true);
  });

  it('a tag: rule variables override job variables; changes without a base is true (new ref)', async () => {
    const plan = await planFiles(ci(yaml), { context: { kind: 'tag', name: 'v1' } });
    expect(jobsOf(plan)).toEqual({ test: 'on_success', deploy: 'on_success' });
    const variables = resolveJobVariables(plan.jobs.find((job) => job.name === 'deploy')!);
    expect(variables.variables.get('TARGET')).toMatchObject({
      value: 'production',
      source: 'rules',
      overridden: [{ source: 'yaml-job', value: 'staging' }],
    });
  });

  it('rules:if sees job and matrix variables, with nested expansion', async () => {
    const plan = await planFiles(
      ci(`
variables: {BASE: "prod"}
deploystacks:
  script: ./deploy.sh
  variables: {TARGET: "$BASE-eu"}
  parallel:
    matrix:
      - PROVIDER: aws
        SKIP: "false"
      - PROVIDER: ovh
        SKIP: "true"
  rules:
    - if: $SKIP == "false" && $TARGET == "prod-eu"
`),
      { context: { kind: 'branch', name: 'main' } },
    );
    expect(Object.keys(jobsOf(plan))).toEqual(['deploystacks: [aws, false]']);
    expect(plan.excluded.map((job) => job.name)).toEqual(['deploystacks: [ovh, true]']);
  });

  it('records a trace of every rule evaluated with the variables it read', async () => {
    const plan = await planFiles(ci(yaml), { context: { kind: 'branch', name: 'feature' } });
    const build = plan.excluded.find((job) => job.name === 'build')!;
    expect(build.ruleTrace.map((rule) => [rule.index, rule.matched, rule.if?.variables])).toEqual([
      [0, false, { CI_PIPELINE_SOURCE: 'push' }],
      [1, false, { CI_COMMIT_BRANCH: 'feature', CI_DEFAULT_BRANCH: 'main' }],
    ]);
  });
});

describe('only/except and defaults', () => {
  const yaml = `
plain:
  script: x
manual:
  script: x
  when: manual
mr:
  script: x
  only: [merge_requests]
release:
  script: x
  only: [tags, /^release-.*$/]
  except:
    variables: [$SKIP_RELEASE]
`;
  it.each([
    [{ kind: 'branch', name: 'feature' } as const, {}, { plain: 'on_success', manual: 'manual' }],
    [
      { kind: 'branch', name: 'release-2' } as const,
      {},
      { plain: 'on_success', manual: 'manual', release: 'on_success' },
    ],
    [{ kind: 'merge_request' } as const, {}, { mr: 'on_success' }],
    [{ kind: 'tag', name: 'v2' } as const, { SKIP_RELEASE: '1' }, { plain: 'on_success', manual: 'manual' }],
  ])('%j', async (context, env, expected) => {
    const layers = [
      {
        source: 'cli-env' as const,
        label: '--env',
        entries: Object.entries(env).map(([name, value]) => ({ name, value })),
      },
    ];
    const plan = await planFiles(ci(yaml), { context, layers });
    expect(jobsOf(plan)).toEqual(expected);
    if (plan.jobs.some((job) => job.name === 'manual'))
      expect(plan.jobs.find((job) => job.name === 'manual')!.allowFailure).toBe(true);
  });
});

describe('workflow', () => {
  const yaml = `
workflow:
  name: "$PIPELINE_NAME for $CI_COMMIT_REF_NAME"
  rules:
    - if: $CI_COMMIT_TAG
      when: never
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      variables: {PIPELINE_NAME: MR, DEPLOY: "no"}
    - if: $CI_COMMIT_BRANCH
variables: {PIPELINE_NAME: Branch, DEPLOY: "yes"}
job:
  script: x
  rules: [{if: $DEPLOY == "yes"}, {when: manual}]
`;
  it('workflow rule variables override global variables and reach jobs and the name', async () => {
    const mr = await planFiles(ci(yaml), { context: { kind: 'merge_request' } });
    expect(mr).toMatchObject({ created: true, name: 'MR for feature', workflow: { ruleIndex: 1 } });
    expect(jobsOf(mr)).toEqual({ job: 'manual' });
    const branch = await planFiles(ci(yaml), { context: { kind: 'branch', name: 'main' } });
    expect(branch.name).toBe('Branch for main');
    expect(jobsOf(branch)).toEqual({ job: 'on_success' });
  });

  it('filters the whole pipeline out', async () => {
    const plan = await planFiles(ci(yaml), { context: { kind: 'tag', name: 'v1' } });
    expect(plan).toMatchObject({
      created: false,
      notCreatedReason: 'Pipeline filtered out by workflow rules.',
      jobs: [],
    });
  });

  it('refuses a pipeline with only .pre jobs', async () => {
    const plan = await planFiles(ci('check:\n  stage: .pre\n  script: x\n'));
    expect(plan.created).toBe(false);
    expect(plan.notCreatedReason).toMatch(/outside the \.pre and \.post stages/);
  });
});

describe('parallel and needs', () => {
  const yaml = `
stages: [build, test, deploy]
build:
  stage: build
  script: make
  parallel:
    matrix:
      - ARCH: [amd64, arm64]
        OS: linux
      - ARCH: amd64
        OS: windows
unit:
  stage: test
  script: test
  parallel: 2
  needs:
    - job: build
      parallel:
        matrix:
          - ARCH: amd64
            OS: [linux, windows]
lint:
  stage: test
  needs: []
  script: lint
package:
  stage: deploy
  script: pack
  needs:
    - job: unit
      artifacts: false
    - job: docs
      optional: true
  dependencies: [unit]
pages:
  stage: deploy
  script: publish
`;
  it('names parallel jobs as GitLab does and resolves needs to instances', async () => {
    const plan = await planFiles(ci(yaml));
    expect(plan.jobs.map((job) => job.name)).toEqual([
      'build: [amd64, linux]',
      'build: [arm64, linux]',
      'build: [amd64, windows]',
      'unit 1/2',
      'unit 2/2',
      'lint',
      'package',
      'pages',
    ]);
    const byName = Object.fromEntries(plan.jobs.map((job) => [job.name, job]));
    expect(byName['unit 1/2']!.needs).toEqual([
      { job: 'build: [amd64, linux]', artifacts: true, optional: false },
      { job: 'build: [amd64, windows]', artifacts: true, optional: false },
    ]);
    expect(byName.lint!.needs).toEqual([]);
    expect(byName.pages!.needs).toBeUndefined();
    expect(byName.package!.needs).toEqual([
      { job: 'unit 1/2', artifacts: false, optional: false },
      { job: 'unit 2/2', artifacts: false, optional: false },
    ]);
    expect(byName.package!.dependencies).toEqual(['unit 1/2', 'unit 2/2']);
    expect(resolveJobVariables(byName['unit 2/2']!).get('CI_NODE_INDEX')).toBe('2');
    expect(resolveJobVariables(byName['build: [arm64, linux]']!).get('ARCH')).toBe('arm64');
    expect(artifactSources(plan, byName.pages!)).toEqual([
      'build: [amd64, linux]',
      'build: [arm64, linux]',
      'build: [amd64, windows]',
      'unit 1/2',
      'unit 2/2',
      'lint',
    ]);
    expect(artifactSources(plan, byName['unit 1/2']!)).toEqual([
      'build: [amd64, linux]',
      'build: [amd64, windows]',
    ]);
  });

  it.each([
    [
      'a:\n  stage: build\n  script: x\n  needs: [b]\nb:\n  stage: test\n  script: x\n',
      'a job: need b is not defined in current or prior stages',
    ],
    [
      'a:\n  script: x\n  needs: [b]\nb:\n  script: x\n  rules: [{if: $NOPE}]\n',
      "'a' job needs 'b' job, but 'b' does not exist in the pipeline. This might be because of the only, except, or rules keywords. To need a job that sometimes does not exist in the pipeline, use needs:optional.",
    ],
    ['a:\n  script: x\n  needs: [ghost]\n', 'a job: undefined need: ghost'],
    [
      'a:\n  stage: build\n  script: x\nc:\n  stage: build\n  script: x\nb:\n  script: x\n  needs: [c]\n  dependencies: [a]\n',
      'jobs:b:dependencies the a should be part of needs',
    ],
  ])('refuses %#', async (yaml, message) => {
    const error = await planFiles(ci(yaml)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PipelineConfigError);
    expect((error as Error).message).toContain(message);
  });
});

describe('local settings', () => {
  const yaml = `
prepare:
  stage: .pre
  script: x
build:
  stage: build
  script: x
test:
  script: x
  needs: [build]
deploy:
  stage: deploy
  script: x
  when: manual
`;
  it('skips stages and jobs, holds jobs as manual, and releases YAML manual jobs with no_manual', async () => {
    const plan = await planFiles(ci(yaml), {
      local: {
        skip: { stages: ['.pre'], jobPatterns: ['^bui'] },
        manual: { jobs: ['test'] },
        noManual: true,
      },
    });
    expect(jobsOf(plan)).toEqual({ test: 'manual', deploy: 'on_success' });
    expect(plan.excluded.map((job) => [job.name, job.by, job.reason])).toEqual([
      ['prepare', 'local', 'skipped by the glci config: [skip] stages includes .pre'],
      ['build', 'local', 'skipped by the glci config: [skip] job_patterns matches it'],
    ]);
    expect(plan.jobs.find((job) => job.name === 'test')!.needs).toEqual([]);
    expect(plan.warnings).toContain(
      'test needs build, which the glci config skips; it runs without their artifacts',
    );
  });

  it('a preset selects jobs by glob and keeps what they need; no_skip_all ignores [skip]', async () => {
    const plan = await planFiles(ci(yaml), {
      local: { onlyJobs: ['te*'], skip: { stages: ['.pre'] }, noSkipAll: true },
    });
    expect(Object.keys(jobsOf(plan))).toEqual(['build', 'test']);
  });

  it('[jobs."name"] sets the image and the highest variables; [defaults] image fills jobs without one', async () => {
    const plan = await planFiles(
      ci(
        'variables: {A: global}\nbuild:\n  script: x\n  variables: {A: job}\nother:\n  image: node:22\n  script: x\n',
      ),
      {
        local: {
          defaultImage: 'alpine:3.20',
          jobs: {
            build: {
              image: { docker: { platform: 'linux/arm64' } },
              variables: [{ name: 'A', value: 'config' }],
            },
          },
        },
      },
    );
    const [build, other] = plan.jobs;
    expect(build!.image).toEqual({ name: 'alpine:3.20', docker: { platform: 'linux/arm64' } });
    expect(other!.image).toEqual({ name: 'node:22' });
    expect(resolveJobVariables(build!).variables.get('A')).toMatchObject({
      value: 'config',
      source: 'config-job',
    });
  });
});

describe('variables precedence', () => {
  it('orders layers as GitLab documents, lowest first, and expands references across them', async () => {
    const plan = await planFiles(
      ci(
        'variables:\n  A: global\n  B: global\n  C: global\n  URL: "https://$HOST/$CI_PROJECT_PATH"\n  RAW: {value: "$HOST", expand: false}\njob:\n  script: x\n  variables: {C: job}\n',
      ),
      {
        layers: [
          {
            source: 'glci-env',
            label: '.glci.env',
            entries: [
              { name: 'B', value: 'glci-env' },
              { name: 'HOST', value: 'example.org' },
            ],
          },
          {
            source: 'cli-env',
            label: '--env',
            entries: [
              { name: 'A', value: 'cli' },
              { name: 'B', value: 'cli' },
              { name: 'C', value: 'cli' },
            ],
          },
        ],
      },
    );
    const job = plan.jobs[0]!;
    const dotenv = [
      {
        source: 'dotenv' as const,
        label: 'dotenv of build',
        entries: [
          { name: 'C', value: 'dotenv' },
          { name: 'D', value: 'dotenv' },
        ],
      },
    ];
    const variables = resolveJobVariables(job, dotenv);
    expect(variables.variables.get('A')).toMatchObject({ value: 'cli', source: 'cli-env' });
    // --env (pipeline variables) outranks .glci.env (project variables), which outranks the YAML.
    expect(variables.variables.get('B')).toMatchObject({
      value: 'cli',
      source: 'cli-env',
      overridden: [{ source: 'yaml-global' }, { source: 'glci-env' }],
    });
    // The job's YAML < its dependencies' dotenv < --env.
    expect(variables.variables.get('C')).toMatchObject({
      value: 'cli',
      source: 'cli-env',
      overridden: [{ source: 'yaml-global' }, { source: 'yaml-job' }, { source: 'dotenv' }],
    });
    expect(variables.get('D')).toBe('dotenv');
    expect(variables.get('URL')).toBe('https://example.org/group/app');
    expect(variables.get('RAW')).toBe('$HOST');
  });
});

describe('cache keys and job specs', () => {
  const yaml = `
default:
  image: node:22
  before_script: [npm ci]
  cache:
    key: $CI_COMMIT_REF_SLUG-npm
    paths: [node_modules/]
build:
  script: npm run build
  cache:
    - key: {files: [package-lock.json], prefix: deps}
      paths: [.npm/]
      policy: pull
    - key: {files_commits: [Gemfile.lock]}
      paths: [vendor/]
  artifacts:
    paths: [dist/]
    expire_in: 1 week
    reports: {dotenv: build.env}
  retry: {max: 2, when: [runner_system_failure]}
  timeout: 1h 30m
  environment: {name: review/$CI_COMMIT_REF_SLUG, url: https://$CI_COMMIT_REF_SLUG.example.com}
  variables: {SECRET: {value: "$$NOT", expand: false}}
test:
  inherit: {default: [image]}
  script: npm test
  interruptible: true
`;
  it('resolves keys (variables, key:files content, files_commits, prefix) and default inheritance', async () => {
    const plan = await planFiles(
      { ...ci(yaml), 'package-lock.json': '{"lockfileVersion": 3}' },
      { context: { kind: 'branch', name: 'Feature/X' }, lastCommits: { 'Gemfile.lock': 'f'.repeat(40) } },
    );
    const [build, test] = plan.jobs;
    expect(build!.caches.map((cache) => cache.key)).toEqual([
      expect.stringMatching(/^deps-[0-9a-f]{40}$/),
      expect.stringMatching(/^[0-9a-f]{40}$/),
    ]);
    // files_commits: SHA-1 of the distinct last commits joined by "-" (one here).
    expect(build!.caches[1]!.key).toBe(createHash('sha1').update('f'.repeat(40)).digest('hex'));
    const contentDigest = createHash('sha1')
      .update(`package-lock.json\0${createHash('sha256').update('{"lockfileVersion": 3}').digest('hex')}\n`)
      .digest('hex');
    expect(build!.caches[0]!.key).toBe(`deps-${contentDigest}`);
    expect(test!.caches).toEqual([]);
    expect(test!.beforeScript).toEqual([]);
    expect(test!.image).toEqual({ name: 'node:22' });
    expect(build!.environment).toEqual({
      name: 'review/feature-x',
      url: 'https://feature-x.example.com',
      action: 'start',
    });
    expect(build!.timeoutSeconds).toBe(5400);

    const spec = toJobSpec(plan, build!, { pipelineId: 7, projectPath: 'group/app', dependencyIds: [3] });
    const parsed = jobSpecSchema.parse(spec);
    expect(parsed).toMatchObject({
      name: 'build',
      image: { name: 'node:22' },
      before_script: ['npm ci'],
      script: ['npm run build'],
      git: { ref: 'Feature/X', sha: SHA, ref_type: 'branch' },
      pipeline: { id: 7, source: 'push' },
      dependencies: [3],
      timeout: 5400,
      environment: 'review/feature-x',
      artifacts: { paths: ['dist/'], expire_in: '1 week', reports: { dotenv: ['build.env'] } },
      variables: { SECRET: { value: '$$NOT', raw: true } },
    });
    const defaultCache =
      plan.jobs.length > 0 ? toJobSpec(plan, test!, { pipelineId: 7, projectPath: 'group/app' }) : undefined;
    expect(jobSpecSchema.parse(defaultCache).cache).toBeUndefined();
  });

  it('sends the YAML variables in variables and --env, .glci.env and presets in pipeline_variables', async () => {
    const plan = await planFiles(
      ci('variables: {G: global}\njob:\n  script: x\n  variables: {J: job, SHARED: job}\n'),
      {
        layers: [
          {
            source: 'cli-env',
            label: '--env',
            entries: [
              { name: 'SHARED', value: 'cli' },
              { name: 'CLI', value: '1' },
            ],
          },
          {
            source: 'glci-env',
            label: '.glci.env',
            entries: [{ name: 'LOCAL', value: 'secret', masked: true }],
          },
        ],
      },
    );
    const spec = jobSpecSchema.parse(
      toJobSpec(plan, plan.jobs[0]!, { pipelineId: 1, projectPath: 'group/app' }),
    );
    // The mock puts the dependencies' dotenv variables between the two.
    expect(spec.variables).toEqual({ G: 'global', J: 'job' });
    expect(spec.pipeline_variables).toEqual({
      SHARED: 'cli',
      CLI: '1',
      LOCAL: { value: 'secret', masked: true, file: false, public: true },
    });
  });

  it('uses a default key for no key, and re-expands key templates with runtime (dotenv) variables', async () => {
    const plan = await planFiles(
      ci(
        'a:\n  script: x\n  cache: {paths: [x/]}\nb:\n  script: x\n  cache: {key: "k-$VERSION", paths: [y/]}\n',
      ),
    );
    expect(plan.jobs.map((job) => job.caches[0]!.key)).toEqual(['default', 'k-']);
    const spec = toJobSpec(plan, plan.jobs[1]!, {
      pipelineId: 1,
      projectPath: 'group/app',
      extraLayers: [{ source: 'dotenv', label: 'dotenv', entries: [{ name: 'VERSION', value: '3' }] }],
    });
    expect(jobSpecSchema.parse(spec).cache).toEqual([expect.objectContaining({ key: 'k-3' })]);
  });
});
