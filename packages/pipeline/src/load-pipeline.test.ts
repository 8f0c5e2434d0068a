import { describe, expect, it } from 'vitest';
import { createMemoryProjectFiles } from './config/project-files.js';
import { PipelineConfigError, UnsupportedFeatureError } from './errors.js';
import { loadPipelineDefinition } from './load-pipeline.js';

async function load(
  files: Record<string, string>,
  options: {
    inputs?: Record<string, unknown>;
    includeRules?: boolean;
    variables?: Record<string, string>;
  } = {},
) {
  return loadPipelineDefinition({
    project: createMemoryProjectFiles('/p', files),
    projectPath: 'group/app',
    inputs: options.inputs ?? {},
    include: {
      variables: (name) => options.variables?.[name],
      evaluateRules: async () => options.includeRules ?? true,
    },
  });
}

async function issues(files: Record<string, string>, options?: Parameters<typeof load>[1]): Promise<string> {
  try {
    await load(files, options);
  } catch (error) {
    if (error instanceof PipelineConfigError) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const job = (name: string, extra = '') => `${name}:\n  script: echo ${name}\n${extra}`;

describe('YAML', () => {
  it('reads anchors, aliases and merge keys, and YAML 1.1 booleans but not y/n', async () => {
    const { definition } = await load({
      '.gitlab-ci.yml': `
.base: &base
  image: ruby:3
  tags: [docker]
a:
  <<: *base
  script: [echo a]
  tags: [own]
b:
  <<: *base
  script: echo b
  parallel:
    matrix:
      - ANSWER: [y, n]
  interruptible: yes
`,
    });
    const [a, b] = definition.jobs;
    expect(a).toMatchObject({ image: { name: 'ruby:3' }, tags: ['own'] });
    expect(b).toMatchObject({
      interruptible: true,
      parallel: { kind: 'matrix', matrix: [{ ANSWER: ['y', 'n'] }] },
    });
  });

  it('reports syntax errors with file:line:column', async () => {
    expect(await issues({ '.gitlab-ci.yml': 'a:\n  script: [echo\nb: 1\n' })).toMatch(
      /^\.gitlab-ci\.yml:\d+:\d+: invalid YAML:/,
    );
  });
});

describe('validation', () => {
  it.each([
    [
      job('build', '  stage: compile\n'),
      '.gitlab-ci.yml:3:3: build job: chosen stage compile does not exist; available stages are .pre, build, test, deploy, .post',
    ],
    [
      'build:\n  stage: build\n',
      '.gitlab-ci.yml:1:1: jobs:build config should implement the script:, run:, or trigger: keyword',
    ],
    [
      job('build', '  scirpt: x\n'),
      '.gitlab-ci.yml:3:3: jobs:build config contains unknown keys: scirpt (did you mean "script"?)',
    ],
    [
      job('build', '  when: sometimes\n'),
      'jobs:build when should be one of: on_success, on_failure, always, manual, delayed',
    ],
    [
      job('build', '  when: delayed\n'),
      'jobs:build start in should be a duration (`when: delayed` needs `start_in`)',
    ],
    [
      job('build', '  rules:\n    - if: $A ==\n'),
      'jobs:build:rules:rule if invalid expression syntax: the expression ends too early',
    ],
    [
      job('build', '  rules: [{when: always}]\n  only: [main]\n'),
      'jobs:build config key may not be used with `rules`: only',
    ],
    [job('build', '  retry: 3\n'), 'jobs:build:retry config must be less than or equal to 2'],
    [job('build', '  parallel: 201\n'), 'jobs:build:parallel config must be less than or equal to 200'],
    [job('build', '  timeout: soon\n'), 'jobs:build:timeout config should be a duration'],
    [
      job('build', '  cache:\n    key: a/b\n'),
      'jobs:build:cache:key config cannot contain the "/" character',
    ],
    [
      job('build', '  id_tokens:\n    T: {aud: 1}\n'),
      'jobs:build:id_tokens:T aud should be an array of strings or a string',
    ],
    [job('build', '  needs:\n    - pipeline: $PARENT\n'), "jobs:build:needs:need job can't be blank"],
    [job('build', '  needs:\n    - project: a/b\n      job: x\n'), 'ref should be a string'],
    [
      job('build', '  variables:\n    OK: [true]\n'),
      'jobs:build:variables config should be a hash of key value pairs, value can be a hash',
    ],
    [
      `stage: [a]\n${job('build')}`,
      'jobs:stage config should be a hash (or did you mean the "stages" keyword?)',
    ],
    [
      job('build', '  script: [echo, [nested, [deeper]], {bad: map}]\n'),
      'jobs:build:script config should be a string or a nested array of strings up to 10 levels deep',
    ],
    [
      job('build', '  allow_failure: {exit_codes: x}\n'),
      'jobs:build:allow_failure:exit_codes config should be an array of integers or an integer',
    ],
    [
      job('build', '  artifacts:\n    reports:\n      junti: a.xml\n'),
      'config contains unknown keys: junti (did you mean "junit"?)',
    ],
  ])('%#: %s', async (yaml, message) => {
    expect(await issues({ '.gitlab-ci.yml': yaml })).toContain(message);
  });

  it('lists every problem at once', async () => {
    const message = await issues({
      '.gitlab-ci.yml': `${job('a', '  when: later\n')}${job('b', '  retry: 9\n')}`,
    });
    expect(message.split('\n')).toHaveLength(2);
  });
});

describe('extends', () => {
  it('deep-merges several parents in order, multi-level, lists replaced', async () => {
    const { definition } = await load({
      '.gitlab-ci.yml': `
.base:
  image: alpine
  variables: {A: base, B: base}
  rules: [{if: '$CI_COMMIT_BRANCH'}]
  tags: [base]
.docker:
  extends: .base
  variables: {B: docker, C: docker}
  services: [docker:dind]
.deploy:
  tags: [deploy]
job:
  extends: [.docker, .deploy]
  variables: {C: job}
  script: echo
`,
    });
    const [job] = definition.jobs;
    expect(job!.variables.map((variable) => [variable.name, variable.value])).toEqual([
      ['A', 'base'],
      ['B', 'docker'],
      ['C', 'job'],
    ]);
    expect(job).toMatchObject({
      image: { name: 'alpine' },
      tags: ['deploy'],
      services: [{ name: 'docker:dind' }],
      rules: [{ if: '$CI_COMMIT_BRANCH' }],
    });
  });

  it.each([
    ['a:\n  extends: .missing\n  script: x\n', 'jobs:a:extends unknown key `.missing` in `extends`'],
    [
      '.a:\n  extends: .b\n.b:\n  extends: .a\nc:\n  extends: .a\n  script: x\n',
      'circular dependency detected in `extends`',
    ],
    [
      Array.from({ length: 13 }, (_, i) => `.l${i}:\n  extends: .l${i + 1}\n`).join('') +
        '.l13:\n  script: x\nj:\n  extends: .l0\n',
      'nesting too deep in `extends`',
    ],
  ])('refuses %#', async (yaml, message) => {
    expect(await issues({ '.gitlab-ci.yml': yaml })).toContain(message);
  });
});

describe('!reference', () => {
  it('resolves after extends, inside scripts (flattened), rules and variables', async () => {
    const { definition } = await load({
      '.gitlab-ci.yml': `
.setup:
  script: [echo setup, echo more]
  variables: {X: "1"}
.rules:
  rules:
    - if: $CI_COMMIT_TAG
      when: never
.child:
  extends: .setup
  after_script: [echo after]
job:
  variables: !reference [.setup, variables]
  rules:
    - !reference [.rules, rules]
    - when: on_success
  script:
    - !reference [.setup, script]
    - echo own
  after_script: !reference [.child, after_script]
`,
    });
    const [job] = definition.jobs;
    expect(job!.script).toEqual(['echo setup', 'echo more', 'echo own']);
    expect(job!.afterScript).toEqual(['echo after']);
    expect(job!.rules?.map((rule) => rule.when)).toEqual(['never', 'on_success']);
    expect(job!.variables).toEqual([{ name: 'X', value: '1', expand: true }]);
  });

  it('names a missing reference and where it is written', async () => {
    expect(await issues({ '.gitlab-ci.yml': 'a:\n  script: !reference [.nope, script]\n' })).toBe(
      '.gitlab-ci.yml:2:22: !reference [.nope, script] could not be found',
    );
  });
});

describe('include', () => {
  const base = {
    'ci/build.yml': job('build'),
    'ci/test.yml': job('test'),
    'ci/deep/deploy.yml': job('deploy', '  stage: deploy\n'),
  };

  it('merges local files (wildcards: * in a directory, ** across), included first, the including file on top', async () => {
    const { definition, raw } = await load({
      ...base,
      '.gitlab-ci.yml': `include:\n  - local: ci/*.yml\n  - ci/**.yml\nbuild:\n  stage: test\n`,
    });
    expect(definition.jobs.map((each) => [each.name, each.stage])).toEqual([
      ['build', 'test'],
      ['test', 'test'],
      ['deploy', 'deploy'],
    ]);
    expect(raw.files.map((file) => file.name)).toEqual([
      '.gitlab-ci.yml',
      'ci/build.yml',
      'ci/test.yml',
      'ci/build.yml',
      'ci/deep/deploy.yml',
      'ci/test.yml',
    ]);
  });

  it('skips an include whose rules do not match', async () => {
    const { definition } = await load(
      {
        ...base,
        '.gitlab-ci.yml': `include:\n  - local: ci/build.yml\n    rules: [{if: $X}]\n${job('own')}`,
      },
      { includeRules: false },
    );
    expect(definition.jobs.map((each) => each.name)).toEqual(['own']);
  });

  it('expands variables in include paths', async () => {
    const { definition } = await load(
      { ...base, '.gitlab-ci.yml': 'include: ci/$KIND.yml\n' },
      { variables: { KIND: 'test' } },
    );
    expect(definition.jobs.map((each) => each.name)).toEqual(['test']);
  });

  it('interpolates spec:inputs with defaults, types and functions', async () => {
    const { definition } = await load({
      'templates/job.yml': `spec:
  inputs:
    name:
    stage: {default: test}
    parallel: {type: number, default: 1}
    flags: {type: array, default: [--a]}
    verbose: {type: boolean, default: false}
    env: {options: [dev, prod], default: dev}
---
"$[[ inputs.name ]]-job":
  stage: $[[ inputs.stage ]]
  parallel: $[[ inputs.parallel ]]
  variables:
    VERBOSE: "v=$[[ inputs.verbose ]]"
    SHORT: "$[[ inputs.name | truncate(0,3) ]]"
  script:
    - echo $[[ inputs.flags ]] $[[ inputs.env ]]
`,
      '.gitlab-ci.yml':
        'include:\n  - local: templates/job.yml\n    inputs: {name: lint, parallel: 2, env: prod}\n',
    });
    const [lint] = definition.jobs;
    expect(lint).toMatchObject({
      name: 'lint-job',
      stage: 'test',
      parallel: { kind: 'count', total: 2 },
      script: ['echo ["--a"] prod'],
    });
    expect(lint!.variables).toEqual([
      { name: 'VERBOSE', value: 'v=false', expand: true },
      { name: 'SHORT', value: 'lin', expand: true },
    ]);
  });

  it.each([
    [{}, '`name` input: required value has not been provided'],
    [
      { name: 'x', env: 'qa' },
      '`env` input: `qa` cannot be used because it is not in the list of allowed options',
    ],
    [{ name: 'x', count: 'many' }, '`count` input: provided value is not a number'],
    [{ name: 'x', other: 1 }, 'unknown input arguments: other'],
  ])('refuses inputs %j', async (inputs, message) => {
    const files = {
      't.yml':
        'spec:\n  inputs:\n    name:\n    env: {options: [dev], default: dev}\n    count: {type: number, default: 1}\n---\nj:\n  script: echo $[[ inputs.name ]]\n',
      '.gitlab-ci.yml': `include:\n  - local: t.yml\n    inputs: ${JSON.stringify(inputs)}\n`,
    };
    expect(await issues(files)).toContain(message);
  });

  it('gives root spec:inputs from the caller', async () => {
    const { definition } = await load(
      {
        '.gitlab-ci.yml':
          'spec:\n  inputs:\n    target: {default: staging}\n---\ndeploy:\n  script: deploy $[[ inputs.target ]]\n',
      },
      { inputs: { target: 'prod' } },
    );
    expect(definition.jobs[0]!.script).toEqual(['deploy prod']);
  });

  it('refuses remote, template and unmapped project includes without a GitLab connection, with the include position', async () => {
    await expect(
      load({ '.gitlab-ci.yml': 'include:\n  - remote: https://example.com/ci.yml\n' }),
    ).rejects.toThrow(UnsupportedFeatureError);
    await expect(
      load({ '.gitlab-ci.yml': 'include:\n  - template: Auto-DevOps.gitlab-ci.yml\n' }),
    ).rejects.toThrow(
      /\.gitlab-ci\.yml:2:5: include:0 Template `Auto-DevOps\.gitlab-ci\.yml` needs a GitLab instance/,
    );
    await expect(
      load({ '.gitlab-ci.yml': 'include:\n  - project: group/lib\n    file: ci.yml\n' }),
    ).rejects.toThrow(/\[projects\."group\/lib"\] dir/);
  });

  it.each([
    [
      { '.gitlab-ci.yml': 'include: ci/missing.yml\n' },
      'include Local file `ci/missing.yml` does not exist!',
    ],
    [{ '.gitlab-ci.yml': 'include: ci/x.txt\n', 'ci/x.txt': '' }, 'does not have YAML extension!'],
    [
      { '.gitlab-ci.yml': 'include: a.yml\n', 'a.yml': 'include: b.yml\n', 'b.yml': 'include: a.yml\n' },
      'include cycle: .gitlab-ci.yml → a.yml → b.yml → a.yml',
    ],
    [{ '.gitlab-ci.yml': 'include:\n  - lcoal: a.yml\n' }, 'unknown keys: lcoal (did you mean "local"?)'],
  ])('refuses %#', async (files, message) => {
    expect(await issues(files as Record<string, string>)).toContain(message);
  });
});
