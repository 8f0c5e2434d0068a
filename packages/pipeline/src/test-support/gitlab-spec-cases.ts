/**
 * Facts from GitLab's own specs of its CI configuration (`spec/lib/gitlab/ci/config/entry/**`,
 * `spec/lib/gitlab/ci/yaml_processor_spec.rb` and the `Gitlab::Ci::YamlProcessor` code they test),
 * written here as small configurations of our own: whether GitLab accepts each one, the jobs and
 * attributes it creates, and GitLab's message when it refuses (a fragment where GitLab's spec
 * checks a fragment). `gitlab-spec-cases.test.ts` runs them through `@glci/pipeline`; the package
 * README lists the spec areas covered.
 */

/** What a planned job looks like, in the terms the cases check (see `projectJob`). */
export interface JobFacts {
  readonly stage?: string;
  readonly when?: string;
  readonly allowFailure?: boolean | { readonly exitCodes: readonly number[] };
  readonly needs?: readonly string[];
  readonly dependencies?: readonly string[];
  readonly retry?: {
    readonly max: number;
    readonly when?: readonly string[];
    readonly exitCodes?: readonly number[];
  };
  readonly script?: readonly string[];
  readonly beforeScript?: readonly string[];
  readonly afterScript?: readonly string[];
  readonly image?: string;
  readonly services?: readonly string[];
  readonly variables?: Readonly<Record<string, string>>;
  readonly timeoutSeconds?: number;
  readonly startInSeconds?: number;
  readonly interruptible?: boolean;
  readonly tags?: readonly string[];
  readonly environment?: string;
  readonly caches?: readonly string[];
  readonly idTokens?: Readonly<Record<string, readonly string[]>>;
}

export type SpecCase =
  | {
      readonly area: string;
      readonly what: string;
      readonly yaml: string;
      readonly accepted: true;
      /** The jobs the pipeline has, in order (for a push to `main`). */
      readonly jobs?: readonly string[];
      readonly facts?: Readonly<Record<string, JobFacts>>;
    }
  | {
      readonly area: string;
      readonly what: string;
      readonly yaml: string;
      readonly accepted: false;
      /** GitLab's message, or the fragment of it GitLab's spec checks. */
      readonly error: string;
    };

const job = (body: string, name = 'rspec') => `${name}:\n  script: rspec\n${body}`;
const ok = (
  area: string,
  what: string,
  yaml: string,
  extra: Partial<Extract<SpecCase, { accepted: true }>> = {},
) => ({ area, what, yaml, accepted: true, ...extra }) as SpecCase;
const refused = (area: string, what: string, yaml: string, error: string): SpecCase => ({
  area,
  what,
  yaml,
  accepted: false,
  error,
});

// ---- entry/retry_spec.rb --------------------------------------------------------------------

const RETRY_WHEN_DOCUMENTED = [
  'always',
  'unknown_failure',
  'script_failure',
  'api_failure',
  'stuck_or_timeout_failure',
  'stuck_pending_with_matching_runners',
  'stuck_pending_no_matching_runners',
  'no_updates_running',
  'no_updates_canceling',
  'server_timeout_running',
  'server_timeout_canceling',
  'runner_system_failure',
  'runner_configuration_error',
  'runner_external_dependency_failure',
  'runner_interrupted',
  'runner_unsupported',
  'stale_schedule',
  'job_execution_timeout',
  'job_execution_server_timeout',
  'archived_failure',
  'unmet_prerequisites',
  'scheduler_failure',
  'data_integrity_failure',
];

const RETRY: SpecCase[] = [
  ok('entry/retry', 'a number is the maximum', job('  retry: 2\n'), {
    facts: { rspec: { retry: { max: 2 } } },
  }),
  ok('entry/retry', 'a hash with max', job('  retry: {max: 2}\n'), {
    facts: { rspec: { retry: { max: 2 } } },
  }),
  ok('entry/retry', 'exit_codes as one integer', job('  retry: {max: 1, exit_codes: 255}\n'), {
    facts: { rspec: { retry: { max: 1, exitCodes: [255] } } },
  }),
  ok('entry/retry', 'exit_codes as a list', job('  retry: {max: 1, exit_codes: [255, 142]}\n'), {
    facts: { rspec: { retry: { max: 1, exitCodes: [255, 142] } } },
  }),
  ok(
    'entry/retry',
    'when as a list',
    job('  retry: {max: 1, when: [unknown_failure, runner_system_failure]}\n'),
    {
      facts: { rspec: { retry: { max: 1, when: ['unknown_failure', 'runner_system_failure'] } } },
    },
  ),
  ...RETRY_WHEN_DOCUMENTED.map((reason) =>
    ok('entry/retry', `the documented when value ${reason}`, job(`  retry: {max: 1, when: ${reason}}\n`), {
      // `always` is the default: the plan shows none.
      facts: { rspec: { retry: reason === 'always' ? { max: 1 } : { max: 1, when: [reason] } } },
    }),
  ),
  refused(
    'entry/retry',
    'a boolean',
    job('  retry: true\n'),
    'jobs:rspec:retry config has to be either an integer or a hash',
  ),
  refused(
    'entry/retry',
    'a negative number',
    job('  retry: -1\n'),
    'jobs:rspec:retry config must be greater than or equal to 0',
  ),
  refused(
    'entry/retry',
    'a float',
    job('  retry: 1.5\n'),
    'jobs:rspec:retry config has to be either an integer or a hash',
  ),
  refused(
    'entry/retry',
    'a number over 2',
    job('  retry: 10\n'),
    'jobs:rspec:retry config must be less than or equal to 2',
  ),
  refused(
    'entry/retry',
    'unknown keys',
    job('  retry: {max: 2, unknown_key: x, one_more: y}\n'),
    'jobs:rspec:retry config contains unknown keys: unknown_key, one_more',
  ),
  refused(
    'entry/retry',
    'a negative max',
    job('  retry: {max: -1}\n'),
    'jobs:rspec:retry max must be greater than or equal to 0',
  ),
  refused(
    'entry/retry',
    'a float max',
    job('  retry: {max: 1.5}\n'),
    'jobs:rspec:retry max must be an integer',
  ),
  refused(
    'entry/retry',
    'a max over 2',
    job('  retry: {max: 10}\n'),
    'jobs:rspec:retry max must be less than or equal to 2',
  ),
  refused(
    'entry/retry',
    'exit_codes as a boolean',
    job('  retry: {max: 1, exit_codes: true}\n'),
    'jobs:rspec:retry exit codes should be an array of integers or an integer',
  ),
  refused(
    'entry/retry',
    'exit_codes as strings',
    job("  retry: {max: 1, exit_codes: ['string 1', 'string 2']}\n"),
    'jobs:rspec:retry exit codes should be an array of integers or an integer',
  ),
  refused(
    'entry/retry',
    'exit_codes mixing a number and a string',
    job("  retry: {max: 1, exit_codes: [255, '155']}\n"),
    'jobs:rspec:retry exit codes should be an array of integers or an integer',
  ),
  refused(
    'entry/retry',
    'when as a boolean',
    job('  retry: {max: 1, when: true}\n'),
    'jobs:rspec:retry when should be an array of strings or a string',
  ),
  refused(
    'entry/retry',
    'an unknown when',
    job('  retry: {max: 1, when: unknown_reason}\n'),
    'jobs:rspec:retry when is not included in the list',
  ),
  refused(
    'entry/retry',
    'an unknown when in a list',
    job('  retry: {max: 1, when: [unknown_reason, runner_system_failure]}\n'),
    'jobs:rspec:retry when contains unknown values: unknown_reason',
  ),
];

// ---- entry/rules/rule_spec.rb, entry/rules_spec.rb -------------------------------------------

const rule = (body: string) => job(`  rules:\n    - ${body}\n`);

const RULES: SpecCase[] = [
  ok('entry/rules/rule', 'when without a clause', rule('when: manual'), {
    facts: { rspec: { when: 'manual', allowFailure: false } },
  }),
  ok('entry/rules/rule', 'allow_failure without a clause', rule('allow_failure: true'), {
    facts: { rspec: { when: 'on_success', allowFailure: true } },
  }),
  ok(
    'entry/rules/rule',
    'if with when and allow_failure',
    rule("{if: '$CI_COMMIT_BRANCH || $THAT', when: manual, allow_failure: true}"),
    {
      facts: { rspec: { when: 'manual', allowFailure: true } },
    },
  ),
  refused(
    'entry/rules/rule',
    'if as a list of expressions',
    rule(`if: ['$A == "this"', '$B == "that"']`),
    'invalid expression syntax',
  ),
  refused(
    'entry/rules/rule',
    'an expression that ends early',
    rule("if: '$MY_VAR =='"),
    'invalid expression syntax',
  ),
  refused(
    'entry/rules/rule',
    'a bare number in an expression',
    rule("if: '$MY_VAR == 123'"),
    'invalid expression syntax',
  ),
  refused(
    'entry/rules/rule',
    'an invalid regular expression',
    rule("if: '$MY_VAR =~ /some ( thing/'"),
    'invalid expression syntax',
  ),
  refused(
    'entry/rules/rule',
    'a lookahead (RE2 has none)',
    rule("if: '$CI_COMMIT_REF_NAME =~ /^(?!master).+/'"),
    'invalid expression syntax',
  ),
  ok('entry/rules/rule', 'changes with globs', rule('changes: [app/, lib/, spec/, other/*, paths/**/*.rb]'), {
    jobs: ['rspec'],
  }),
  refused(
    'entry/rules/rule',
    'changes as a string',
    rule("changes: 'a regular string'"),
    'should be an array of strings',
  ),
  refused(
    'entry/rules/rule',
    'changes as numbers',
    rule('changes: [1, 2]'),
    'changes config should be an array of strings',
  ),
  refused(
    'entry/rules/rule',
    'more than 50 changes',
    rule(`changes: [${Array.from({ length: 51 }, () => 'app/').join(', ')}]`),
    'changes config has too many entries (maximum 50)',
  ),
  ok('entry/rules/rule', 'exists with globs', rule('exists: [app/, lib/, spec/, other/*, paths/**/*.rb]')),
  refused(
    'entry/rules/rule',
    'exists as numbers',
    rule('exists: [1, 2]'),
    'exists should be an array of strings',
  ),
  ok(
    'entry/rules/rule',
    'a delayed rule',
    rule("{if: '$CI_COMMIT_BRANCH', when: delayed, start_in: 2 days}"),
    {
      facts: { rspec: { when: 'delayed', startInSeconds: 172800 } },
    },
  ),
  refused(
    'entry/rules/rule',
    'start_in without when: delayed',
    rule("{if: '$CI_COMMIT_BRANCH', start_in: 15 minutes}"),
    'disallowed keys: start_in',
  ),
  refused(
    'entry/rules/rule',
    'when: delayed without start_in',
    rule("{if: '$CI_COMMIT_BRANCH', when: delayed}"),
    "start in can't be blank",
  ),
  refused(
    'entry/rules/rule',
    'start_in over a week',
    rule("{if: '$CI_COMMIT_BRANCH', when: delayed, start_in: 2 weeks}"),
    'start in should not exceed the limit',
  ),
  refused('entry/rules/rule', 'an unknown key', rule('invalid: something'), 'unknown keys: invalid'),
  refused('entry/rules/rule', 'an empty rule', rule('{}'), "can't be blank"),
  refused('entry/rules/rule', 'a rule that is a string', rule("'string strategy'"), 'should be a hash'),
  refused(
    'entry/rules/rule',
    'when: false',
    rule('{if: \'$THIS == "that"\', when: false}'),
    'when unknown value: false',
  ),
  refused(
    'entry/rules/rule',
    'an unknown when',
    rule('{if: \'$THIS == "that"\', when: explode}'),
    'when unknown value: explode',
  ),
  refused(
    'entry/rules/rule',
    'variables that are a string',
    rule('{if: \'$THIS == "that"\', variables: hello}'),
    'variables config should be a hash of key value pairs',
  ),
  refused(
    'entry/rules/rule',
    'allow_failure that is a string',
    rule('{if: \'$THIS == "that"\', allow_failure: always}'),
    'allow failure should be a boolean value',
  ),
  refused('entry/rules', 'an empty list', job('  rules: []\n'), "jobs:rspec:rules config can't be blank"),
  refused(
    'entry/rules',
    'a hash instead of a list',
    job('  rules: {if: $A}\n'),
    'jobs:rspec:rules config should be an array of hashes',
  ),
  ok(
    'entry/rules',
    'a nested list (from !reference) is flattened',
    job("  rules:\n    - [{if: '$NOPE', when: never}]\n    - when: always\n"),
    {
      facts: { rspec: { when: 'always' } },
    },
  ),
];

// ---- entry/product/parallel_spec.rb, entry/product/matrix_spec.rb ---------------------------

const PARALLEL: SpecCase[] = [
  ok('entry/product/parallel', 'a number of instances', job('  parallel: 2\n'), {
    jobs: ['rspec 1/2', 'rspec 2/2'],
  }),
  ok(
    'entry/product/parallel',
    'a matrix of two entries',
    job(
      '  parallel:\n    matrix:\n      - {PROVIDER: aws, STACK: [monitoring, app1, app2]}\n      - {PROVIDER: gcp, STACK: [data, processing]}\n',
    ),
    {
      jobs: [
        'rspec: [aws, monitoring]',
        'rspec: [aws, app1]',
        'rspec: [aws, app2]',
        'rspec: [gcp, data]',
        'rspec: [gcp, processing]',
      ],
    },
  ),
  ok(
    'entry/product/matrix',
    'integers as values',
    job('  parallel:\n    matrix:\n      - {VAR_1: [1, 2], VAR_2: [4]}\n'),
    {
      jobs: ['rspec: [1, 4]', 'rspec: [2, 4]'],
      facts: { 'rspec: [2, 4]': { variables: { VAR_1: '2', VAR_2: '4' } } },
    },
  ),
  ok(
    'entry/product/matrix',
    'one variable with several values',
    job('  parallel:\n    matrix:\n      - VAR_1: [build, test]\n'),
    {
      jobs: ['rspec: [build]', 'rspec: [test]'],
    },
  ),
  ok(
    'entry/product/matrix',
    'one variable with one value',
    job('  parallel:\n    matrix:\n      - VAR_1: [test]\n'),
    { jobs: ['rspec: [test]'] },
  ),
  refused(
    'entry/product/parallel',
    'a boolean',
    job('  parallel: true\n'),
    'jobs:rspec:parallel config should be an integer or a hash',
  ),
  refused(
    'entry/product/parallel',
    'more than 200',
    job('  parallel: 201\n'),
    'jobs:rspec:parallel config must be less than or equal to 200',
  ),
  refused(
    'entry/product/parallel',
    'a float',
    job('  parallel: 1.5\n'),
    'jobs:rspec:parallel config must be an integer',
  ),
  refused(
    'entry/product/parallel',
    'an empty hash',
    job('  parallel: {}\n'),
    'matrix builds config missing required keys: matrix',
  ),
  refused(
    'entry/product/matrix',
    'a hash instead of a list',
    job('  parallel:\n    matrix: {}\n'),
    'matrix config should be an array of hashes',
  ),
  refused(
    'entry/product/matrix',
    'more than 200 instances',
    job(
      `  parallel:\n    matrix:\n      - {A: [${Array.from({ length: 15 }, (_, i) => i).join(', ')}], B: [${Array.from({ length: 15 }, (_, i) => i).join(', ')}]}\n`,
    ),
    'generates too many jobs (maximum is 200)',
  ),
];

// ---- entry/need_spec.rb, entry/needs_spec.rb (and Entry::Need's strategies) ------------------

const two = (body: string) =>
  `build:\n  stage: build\n  script: make\nrspec:\n  stage: test\n  script: rspec\n${body}`;

const NEEDS: SpecCase[] = [
  ok('entry/needs', 'a job name', two('  needs: [build]\n'), { facts: { rspec: { needs: ['build'] } } }),
  ok('entry/needs', 'a job hash with artifacts: false', two('  needs: [{job: build, artifacts: false}]\n'), {
    facts: { rspec: { needs: ['build'] } },
  }),
  ok('entry/needs', 'an empty list starts at once', two('  needs: []\n'), {
    facts: { rspec: { needs: [] } },
  }),
  ok(
    'entry/needs',
    'an optional need of a job that is not there',
    two('  needs: [{job: ghost, optional: true}]\n'),
    {
      facts: { rspec: { needs: [] } },
    },
  ),
  ok(
    'entry/needs',
    'a need of another pipeline',
    two('  needs: [{pipeline: $PARENT_PIPELINE_ID, job: build}]\n'),
    {
      facts: { rspec: { needs: [] } },
    },
  ),
  ok(
    'entry/needs',
    'a need of another project',
    two('  needs: [{project: group/lib, job: build, ref: main}]\n'),
    {
      facts: { rspec: { needs: [] } },
    },
  ),
  ok('entry/needs', 'a job of the same stage', 'a:\n  script: a\nb:\n  script: b\n  needs: [a]\n', {
    facts: { b: { needs: ['a'] } },
  }),
  refused(
    'entry/need',
    'an empty job name',
    two("  needs: ['']\n"),
    "jobs:rspec:needs:need config can't be blank",
  ),
  refused('entry/need', 'a number', two('  needs: [1]\n'), 'jobs:rspec:needs:need has an unsupported type'),
  refused(
    'entry/need',
    'a hash without job',
    two('  needs: [{artifacts: true}]\n'),
    'jobs:rspec:needs:need has an unsupported type',
  ),
  refused(
    'entry/need',
    'an unknown key',
    two('  needs: [{job: build, color: red}]\n'),
    'jobs:rspec:needs:need config contains unknown keys: color',
  ),
  refused(
    'entry/need',
    'artifacts that is not a boolean',
    two('  needs: [{job: build, artifacts: yes please}]\n'),
    'jobs:rspec:needs:need artifacts should be a boolean value',
  ),
  refused(
    'entry/needs',
    'a string instead of a list',
    two('  needs: 1\n'),
    'jobs:rspec:needs config can only be a Hash or an Array',
  ),
];

// ---- yaml_processor.rb's logical validation (needs, dependencies, stages, cycles, on_stop) ----

const LOGIC: SpecCase[] = [
  refused('yaml_processor', 'a need of no job', two('  needs: [nope]\n'), 'rspec job: undefined need: nope'),
  refused(
    'yaml_processor',
    'a need of a later stage',
    'rspec:\n  stage: test\n  script: r\n  needs: [deploy]\ndeploy:\n  stage: deploy\n  script: d\n',
    'rspec job: need deploy is not defined in current or prior stages',
  ),
  refused(
    'yaml_processor',
    'a dependency of no job',
    two('  dependencies: [nope]\n'),
    'rspec job: undefined dependency: nope',
  ),
  refused(
    'yaml_processor',
    'a dependency of a later stage',
    'rspec:\n  stage: test\n  script: r\n  dependencies: [deploy]\ndeploy:\n  stage: deploy\n  script: d\n',
    'rspec job: dependency deploy is not defined in current or prior stages',
  ),
  ok(
    'yaml_processor',
    'a dependency of the same stage',
    'a:\n  script: a\nb:\n  script: b\n  dependencies: [a]\n',
    { facts: { b: { dependencies: ['a'] } } },
  ),
  refused(
    'yaml_processor',
    'a need listed twice',
    two('  needs: [build, build]\n'),
    'rspec has the following needs duplicated: build.',
  ),
  refused(
    'yaml_processor',
    'a job that needs itself',
    'loop:\n  script: x\n  needs: [loop]\n',
    'The pipeline has circular dependencies',
  ),
  refused(
    'yaml_processor',
    'three jobs in a cycle',
    'a:\n  script: x\n  needs: [c]\nb:\n  script: x\n  needs: [a]\nc:\n  script: x\n  needs: [b]\n',
    'The pipeline has circular dependencies',
  ),
  ok(
    'yaml_processor',
    'a chain of needs',
    'a:\n  script: x\nb:\n  script: x\n  needs: [a]\nc:\n  script: x\n  needs: [a, b]\n',
    { facts: { c: { needs: ['a', 'b'] } } },
  ),
  refused(
    'yaml_processor',
    'an optional need of a later stage',
    'rspec:\n  stage: test\n  script: r\n  needs: [{job: deploy, optional: true}]\ndeploy:\n  stage: deploy\n  script: d\n',
    'rspec job: need deploy is not defined in current or prior stages',
  ),
  refused(
    'yaml_processor',
    'a rule need of no job',
    two('  rules:\n    - needs: [nope]\n'),
    'rspec job: undefined need: nope',
  ),
  refused(
    'entry/job',
    'dependencies that are not among the needs',
    'a:\n  stage: build\n  script: a\nb:\n  stage: build\n  script: b\nrspec:\n  script: r\n  needs: [a]\n  dependencies: [b]\n',
    'jobs:rspec:dependencies the b should be part of needs',
  ),
  ok('entry/job', 'dependencies with an empty needs list', two('  needs: []\n  dependencies: [build]\n'), {
    facts: { rspec: { needs: [], dependencies: ['build'] } },
  }),
  ok(
    'yaml_processor',
    'a need of a parallel job waits for every instance',
    'build:\n  stage: build\n  script: b\n  parallel: 2\nrspec:\n  script: r\n  needs: [build]\n',
    {
      facts: { rspec: { needs: ['build 1/2', 'build 2/2'] } },
    },
  ),
  ok(
    'yaml_processor',
    'a need of one matrix instance by its name',
    'build:\n  stage: build\n  script: b\n  parallel:\n    matrix:\n      - OS: [linux, mac]\nrspec:\n  script: r\n  needs: ["build: [mac]"]\n',
    {
      facts: { rspec: { needs: ['build: [mac]'] } },
    },
  ),
  ok(
    'yaml_processor',
    'a need with a matrix selector',
    'build:\n  stage: build\n  script: b\n  parallel:\n    matrix:\n      - OS: [linux, mac]\nrspec:\n  script: r\n  needs: [{job: build, parallel: {matrix: [{OS: linux}]}}]\n',
    {
      facts: { rspec: { needs: ['build: [linux]'] } },
    },
  ),
  refused(
    'yaml_processor',
    'a matrix selector naming no instance',
    'build:\n  stage: build\n  script: b\n  parallel:\n    matrix:\n      - OS: [linux, mac]\nrspec:\n  script: r\n  needs: [{job: build, parallel: {matrix: [{OS: bsd}]}}]\n',
    'rspec job: undefined need: build: [bsd]',
  ),
  refused(
    'yaml_processor',
    'on_stop naming no job',
    job('  environment: {name: review, on_stop: stop_review}\n'),
    'rspec job: on_stop job stop_review is not defined',
  ),
  refused(
    'yaml_processor',
    'on_stop naming a job without environment',
    `${job('  environment: {name: review, on_stop: stop_review}\n')}stop_review:\n  script: stop\n`,
    'rspec job: on_stop job stop_review does not have environment defined',
  ),
  refused(
    'yaml_processor',
    'on_stop naming a job of another environment',
    `${job('  environment: {name: review, on_stop: stop_review}\n')}stop_review:\n  script: stop\n  environment: {name: other, action: stop}\n`,
    'rspec job: on_stop job stop_review have different environment name',
  ),
  refused(
    'yaml_processor',
    'on_stop naming a job that does not stop',
    `${job('  environment: {name: review, on_stop: stop_review}\n')}stop_review:\n  script: stop\n  environment: {name: review}\n`,
    'rspec job: on_stop job stop_review needs to have action stop defined',
  ),
  ok(
    'yaml_processor',
    'on_stop naming a stopping job',
    `${job('  environment: {name: review, on_stop: stop_review}\n')}stop_review:\n  script: stop\n  when: manual\n  environment: {name: review, action: stop}\n`,
    {
      facts: { rspec: { environment: 'review' } },
    },
  ),
  refused(
    'yaml_processor',
    'a stage that does not exist',
    job('  stage: nonexistent\n'),
    'rspec job: chosen stage nonexistent does not exist; available stages are .pre, build, test, deploy, .post',
  ),
  ok(
    'yaml_processor',
    'the default stages',
    'a:\n  stage: deploy\n  script: x\nb:\n  stage: build\n  script: x\nc:\n  script: x\n',
    { jobs: ['b', 'c', 'a'] },
  ),
  ok(
    'yaml_processor',
    '.pre and .post around the stages',
    'a:\n  stage: .post\n  script: x\nb:\n  stage: .pre\n  script: x\nc:\n  script: x\n',
    { jobs: ['b', 'c', 'a'] },
  ),
];

// ---- entry/job_spec.rb, entry/processable_spec.rb ---------------------------------------------

const JOB: SpecCase[] = [
  ok('entry/job', 'a script string', 'rspec:\n  script: rspec\n', {
    facts: { rspec: { script: ['rspec'], stage: 'test', when: 'on_success', allowFailure: false } },
  }),
  ok('entry/job', 'a script list', 'rspec:\n  script: [a, b]\n', {
    facts: { rspec: { script: ['a', 'b'] } },
  }),
  ok('entry/job', 'a nested script list (from !reference)', 'rspec:\n  script: [a, [b, [c]]]\n', {
    facts: { rspec: { script: ['a', 'b', 'c'] } },
  }),
  refused(
    'entry/job',
    'no script',
    'rspec:\n  stage: test\n',
    'jobs:rspec config should implement the script:, run:, or trigger: keyword',
  ),
  refused('entry/job', 'an empty script list', 'rspec:\n  script: []\n', "script can't be blank"),
  refused(
    'entry/commands',
    'a script that is a hash',
    'rspec:\n  script: {a: b}\n',
    'jobs:rspec:script config should be a string or a nested array of strings up to 10 levels deep',
  ),
  refused(
    'entry/commands',
    'a script nested more than 10 levels',
    'rspec:\n  script: [[[[[[[[[[[x]]]]]]]]]]]\n',
    'jobs:rspec:script config should be a string or a nested array of strings up to 10 levels deep',
  ),
  refused(
    'entry/script',
    'a before_script that is a hash',
    job('  before_script: {a: b}\n'),
    'jobs:rspec:before_script config should be a string or a nested array of strings up to 10 levels deep',
  ),
  refused(
    'entry/script',
    'an after_script that is a hash',
    job('  after_script: {a: b}\n'),
    'jobs:rspec:after_script config should be a string or a nested array of strings up to 10 levels deep',
  ),
  ok('entry/job', 'when: manual is allowed to fail', job('  when: manual\n'), {
    facts: { rspec: { when: 'manual', allowFailure: true } },
  }),
  ok('entry/job', 'when: manual with allow_failure: false', job('  when: manual\n  allow_failure: false\n'), {
    facts: { rspec: { when: 'manual', allowFailure: false } },
  }),
  ok('entry/job', 'when: on_failure', job('  when: on_failure\n'), {
    facts: { rspec: { when: 'on_failure' } },
  }),
  ok('entry/job', 'when: always', job('  when: always\n'), { facts: { rspec: { when: 'always' } } }),
  ok('entry/job', 'when: delayed with start_in', job('  when: delayed\n  start_in: 10 minutes\n'), {
    facts: { rspec: { when: 'delayed', startInSeconds: 600 } },
  }),
  refused(
    'entry/job',
    'an unknown when',
    job('  when: sometimes\n'),
    'when should be one of: on_success, on_failure, always, manual, delayed',
  ),
  refused(
    'entry/job',
    'when: never outside rules',
    job('  when: never\n'),
    'when should be one of: on_success, on_failure, always, manual, delayed',
  ),
  refused(
    'entry/job',
    'when: delayed without start_in',
    job('  when: delayed\n'),
    'jobs:rspec start in should be a duration',
  ),
  refused(
    'entry/job',
    'start_in over a week',
    job('  when: delayed\n  start_in: 8 days\n'),
    'jobs:rspec start in should not exceed the limit',
  ),
  refused(
    'entry/job',
    'start_in without when: delayed',
    job('  start_in: 1 minute\n'),
    'jobs:rspec start in must be blank',
  ),
  refused(
    'entry/job',
    'start_in with rules',
    job('  start_in: 1 minute\n  rules: [{when: delayed, start_in: 1 minute}]\n'),
    'jobs:rspec start in must be blank',
  ),
  ok('entry/allow_failure', 'allow_failure: true', job('  allow_failure: true\n'), {
    facts: { rspec: { allowFailure: true } },
  }),
  ok(
    'entry/allow_failure',
    'allow_failure with exit codes',
    job('  allow_failure: {exit_codes: [1, 42]}\n'),
    { facts: { rspec: { allowFailure: { exitCodes: [1, 42] } } } },
  ),
  ok('entry/allow_failure', 'allow_failure with one exit code', job('  allow_failure: {exit_codes: 137}\n'), {
    facts: { rspec: { allowFailure: { exitCodes: [137] } } },
  }),
  refused(
    'entry/allow_failure',
    'allow_failure as a string',
    job('  allow_failure: maybe\n'),
    'should be a hash or a boolean value',
  ),
  ok('entry/job', 'interruptible', job('  interruptible: true\n'), {
    facts: { rspec: { interruptible: true } },
  }),
  refused(
    'entry/boolean',
    'interruptible as a string',
    job('  interruptible: sure\n'),
    'jobs:rspec:interruptible config should be a boolean value',
  ),
  ok('entry/tags', 'tags', job('  tags: [docker, linux]\n'), {
    facts: { rspec: { tags: ['docker', 'linux'] } },
  }),
  refused(
    'entry/tags',
    'tags as a string',
    job('  tags: docker\n'),
    'jobs:rspec:tags config should be an array of strings',
  ),
  refused(
    'entry/tags',
    'tags with a number',
    job('  tags: [docker, 1]\n'),
    'jobs:rspec:tags config should be an array of strings',
  ),
  ok('entry/job', 'a timeout', job('  timeout: 1h 30m\n'), { facts: { rspec: { timeoutSeconds: 5400 } } }),
  refused('entry/job', 'a timeout that is no duration', job('  timeout: soon\n'), 'should be a duration'),
  ok('entry/coverage', 'a coverage regular expression', job("  coverage: '/Code coverage: \\d+\\.\\d+/'\n"), {
    jobs: ['rspec'],
  }),
  refused(
    'entry/coverage',
    'coverage without slashes',
    job("  coverage: 'Code coverage: 42'\n"),
    'jobs:rspec:coverage config must be a regular expression',
  ),
  refused(
    'entry/coverage',
    'coverage as a number',
    job('  coverage: 42\n'),
    'jobs:rspec:coverage config should be a string',
  ),
  ok('entry/job', 'dependencies', two('  dependencies: [build]\n'), {
    facts: { rspec: { dependencies: ['build'] } },
  }),
  refused(
    'entry/job',
    'dependencies as a string',
    two('  dependencies: build\n'),
    'jobs:rspec dependencies should be an array of strings',
  ),
  refused(
    'entry/job',
    'an unknown keyword',
    job('  colour: red\n'),
    'jobs:rspec config contains unknown keys: colour',
  ),
  refused(
    'entry/jobs',
    'a job that is a string',
    'rspec: run the tests\n',
    'jobs:rspec config should be a hash',
  ),
  refused(
    'entry/jobs',
    'only hidden jobs',
    '.hidden:\n  script: x\n',
    'jobs config should contain at least one visible job',
  ),
  refused(
    'entry/job',
    'rules with only',
    job('  rules: [{when: always}]\n  only: [main]\n'),
    'jobs:rspec config key may not be used with `rules`: only',
  ),
  refused(
    'entry/job',
    'rules with except',
    job('  rules: [{when: always}]\n  except: [main]\n'),
    'jobs:rspec config key may not be used with `rules`: except',
  ),
  ok('entry/job', 'type is the old name of stage', job('  type: deploy\n'), {
    facts: { rspec: { stage: 'deploy' } },
  }),
];

const FIRST_CASES: readonly SpecCase[] = [...RETRY, ...RULES, ...PARALLEL, ...NEEDS, ...LOGIC, ...JOB];

// ---- entry/variables_spec.rb, entry/variable_spec.rb (ScalarValidator, allowed value data) ------

const VARIABLES: SpecCase[] = [
  ok(
    'entry/variables',
    'global and job variables, the job’s winning',
    'variables:\n  VAR1: global1\n  VAR3: global3\nrspec:\n  script: r\n  variables:\n    VAR1: value1\n    VAR2: value2\n',
    {
      facts: { rspec: { variables: { VAR1: 'value1', VAR2: 'value2', VAR3: 'global3' } } },
    },
  ),
  ok('entry/variable', 'an integer value is its text', job('  variables:\n    RETRIES: 3\n'), {
    facts: { rspec: { variables: { RETRIES: '3' } } },
  }),
  ok(
    'entry/variable',
    'a float value keeps Ruby’s text',
    job('  variables:\n    VERSION: 1.0\n    RATIO: 0.5\n'),
    {
      facts: { rspec: { variables: { VERSION: '1.0', RATIO: '0.5' } } },
    },
  ),
  ok(
    'entry/variable',
    'true and false are text',
    job('  variables:\n    FLAG_A: true\n    FLAG_B: false\n'),
    {
      facts: { rspec: { variables: { FLAG_A: 'true', FLAG_B: 'false' } } },
    },
  ),
  ok(
    'loader/yaml',
    'a key ON is the boolean true, so the variable is named true',
    job('  variables:\n    ON: x\n'),
    {
      facts: { rspec: { variables: { true: 'x' } } },
    },
  ),
  ok('entry/variable', 'a symbol is its name', job('  variables:\n    MODE: :fast\n'), {
    facts: { rspec: { variables: { MODE: 'fast' } } },
  }),
  ok('entry/variable', 'a value hash', job('  variables:\n    A: {value: x}\n'), {
    facts: { rspec: { variables: { A: 'x' } } },
  }),
  ok(
    'entry/variable',
    'a value hash with expand: false',
    job('  variables:\n    A: {value: $B, expand: false}\n'),
    {
      facts: { rspec: { variables: { A: '$B' } } },
    },
  ),
  ok(
    'entry/variable',
    'a global value with description and options',
    'variables:\n  ENV: {value: dev, description: where, options: [dev, prod]}\nrspec:\n  script: r\n',
    {
      facts: { rspec: { variables: { ENV: 'dev' } } },
    },
  ),
  refused(
    'entry/variable',
    'a job variable with a description',
    job('  variables:\n    VAR2: {value: x, description: hello}\n'),
    'config uses invalid data keys: description',
  ),
  refused(
    'entry/variable',
    'a global variable with an unknown data key',
    'variables:\n  VAR1: {invalid: hello}\nrspec:\n  script: r\n',
    'config uses invalid data keys: invalid',
  ),
  refused(
    'entry/variable',
    'a value not among the options',
    'variables:\n  ENV: {value: qa, options: [dev, prod]}\nrspec:\n  script: r\n',
    'value must be present in options',
  ),
  refused(
    'entry/variables',
    'variables as a list',
    job('  variables: [A, B]\n'),
    'jobs:rspec:variables config should be a hash of key value pairs, value can be a hash',
  ),
  refused(
    'entry/variables',
    'a variable whose value is a list',
    job('  variables:\n    A: [1, 2]\n'),
    'config should be a hash of key value pairs, value can be a hash',
  ),
];

// ---- lib/gitlab/config/loader/yaml.rb: how GitLab reads the YAML (Psych, safe_load) -------------

const YAML_LOADING: SpecCase[] = [
  ok(
    'loader/yaml',
    'Y and N are names, not booleans',
    'variables:\n  Y: yes-value\n  N: no-value\nrspec:\n  script: r\n',
    {
      facts: { rspec: { variables: { Y: 'yes-value', N: 'no-value' } } },
    },
  ),
  ok(
    'loader/yaml',
    'on/off/yes/no values are booleans',
    job('  variables:\n    A: on\n    B: off\n    C: yes\n    D: no\n'),
    {
      facts: { rspec: { variables: { A: 'true', B: 'false', C: 'true', D: 'false' } } },
    },
  ),
  ok('loader/yaml', 'an octal number', job('  variables:\n    MODE: 0755\n'), {
    facts: { rspec: { variables: { MODE: '493' } } },
  }),
  ok('loader/yaml', '08 is text (no octal digit 8)', job('  variables:\n    N: 08\n'), {
    facts: { rspec: { variables: { N: '08' } } },
  }),
  ok('loader/yaml', 'commas in an integer', job('  variables:\n    N: 1,000\n'), {
    facts: { rspec: { variables: { N: '1000' } } },
  }),
  ok('loader/yaml', 'a large integer keeps its digits', job('  variables:\n    N: 12345678901234567890\n'), {
    facts: { rspec: { variables: { N: '12345678901234567890' } } },
  }),
  ok('loader/yaml', 'base 60', job('  variables:\n    T: 1:30\n'), {
    facts: { rspec: { variables: { T: '5400' } } },
  }),
  refused(
    'loader/yaml',
    'an unquoted date',
    job('  variables:\n    DAY: 2024-01-01\n'),
    'Tried to load unspecified class: Date',
  ),
  refused(
    'loader/yaml',
    'an unquoted time',
    job('  variables:\n    AT: 2001-12-14 21:59:43.10 -5\n'),
    'Tried to load unspecified class: Time',
  ),
  ok('loader/yaml', 'a quoted date is text', job('  variables:\n    DAY: "2024-01-01"\n'), {
    facts: { rspec: { variables: { DAY: '2024-01-01' } } },
  }),
  ok(
    'loader/yaml',
    'anchors and aliases',
    '.vars: &vars\n  A: one\nrspec:\n  script: r\n  variables: *vars\n',
    { facts: { rspec: { variables: { A: 'one' } } } },
  ),
  ok(
    'loader/yaml',
    'a merge key, the later keys winning',
    '.base: &base\n  stage: build\n  script: base\nrspec:\n  <<: *base\n  script: own\n',
    {
      facts: { rspec: { stage: 'build', script: ['own'] } },
    },
  ),
  ok(
    'loader/yaml',
    'a merge key after a key overrides it',
    '.base: &base\n  stage: build\nrspec:\n  stage: deploy\n  <<: *base\n  script: r\n',
    {
      facts: { rspec: { stage: 'build' } },
    },
  ),
  ok('loader/yaml', 'a duplicate key keeps the last value', 'rspec:\n  script: first\n  script: second\n', {
    facts: { rspec: { script: ['second'] } },
  }),
  refused('loader/yaml', 'a syntax error', 'rspec:\n  script: [unclosed\n', 'invalid YAML'),
  refused('loader/yaml', 'a list at the top', '- rspec\n', 'Invalid configuration format'),
  ok(
    'loader/yaml',
    'a spec header document before the pipeline',
    'spec:\n  inputs:\n    stage:\n      default: test\n---\nrspec:\n  stage: $[[ inputs.stage ]]\n  script: r\n',
    {
      facts: { rspec: { stage: 'test' } },
    },
  ),
  refused('loader/yaml', 'an unknown alias', 'rspec:\n  script: *missing\n', 'Unknown alias: missing'),
];

// ---- entry/image_spec.rb, entry/services_spec.rb, entry/service_spec.rb ------------------------

const IMAGES: SpecCase[] = [
  ok('entry/image', 'an image name', job('  image: ruby:3.3\n'), { facts: { rspec: { image: 'ruby:3.3' } } }),
  ok(
    'entry/image',
    'an image hash with an entrypoint',
    job('  image: {name: ruby:3.3, entrypoint: [/bin/sh, -c]}\n'),
    { facts: { rspec: { image: 'ruby:3.3' } } },
  ),
  ok('entry/image', 'the global image', 'image: ruby:2.1\nrspec:\n  script: r\n', {
    facts: { rspec: { image: 'ruby:2.1' } },
  }),
  ok(
    'entry/image',
    'the job image over the global one',
    'image: ruby:2.1\nrspec:\n  script: r\n  image: ruby:2.5\n',
    { facts: { rspec: { image: 'ruby:2.5' } } },
  ),
  refused(
    'entry/image',
    'an image list',
    job('  image: [ruby]\n'),
    'jobs:rspec:image config should be a hash or a string',
  ),
  refused(
    'entry/image',
    'an unknown image key',
    job('  image: {name: ruby, colour: red}\n'),
    'jobs:rspec:image config contains unknown keys: colour',
  ),
  ok(
    'entry/services',
    'services by name and by hash',
    job('  services: [mysql, {name: docker:dind, alias: docker}]\n'),
    {
      facts: { rspec: { services: ['mysql', 'docker:dind'] } },
    },
  ),
  ok('entry/services', 'the global services', 'services: [mysql]\nrspec:\n  script: r\n', {
    facts: { rspec: { services: ['mysql'] } },
  }),
  refused(
    'entry/services',
    'services as a string',
    job('  services: mysql\n'),
    'jobs:rspec:services config should be a array',
  ),
  refused(
    'entry/service',
    'a service of a wrong type',
    job('  services: [1]\n'),
    'config should be a hash or a string',
  ),
];

// ---- entry/global_spec.rb, entry/default_spec.rb, entry/stages_spec.rb, inherit ---------------

const GLOBAL: SpecCase[] = [
  ok('entry/global', 'before_script from the top level', 'before_script: [pwd]\nrspec:\n  script: r\n', {
    facts: { rspec: { beforeScript: ['pwd'], script: ['r'] } },
  }),
  ok(
    'entry/global',
    'the job’s before_script over the top level',
    'before_script: [global]\nrspec:\n  before_script: [local]\n  script: r\n',
    {
      facts: { rspec: { beforeScript: ['local'] } },
    },
  ),
  ok('entry/global', 'after_script from the top level', 'after_script: [cleanup]\nrspec:\n  script: r\n', {
    facts: { rspec: { afterScript: ['cleanup'] } },
  }),
  ok(
    'entry/default',
    'default: keywords',
    'default:\n  image: alpine\n  before_script: [setup]\n  retry: 1\n  interruptible: true\n  timeout: 10m\n  tags: [linux]\nrspec:\n  script: r\n',
    {
      facts: {
        rspec: {
          image: 'alpine',
          beforeScript: ['setup'],
          retry: { max: 1 },
          interruptible: true,
          timeoutSeconds: 600,
          tags: ['linux'],
        },
      },
    },
  ),
  refused(
    'entry/default',
    'an unknown default keyword',
    'default:\n  stage: build\nrspec:\n  script: r\n',
    'default config contains unknown keys: stage',
  ),
  ok(
    'entry/inherit/default',
    'inherit: default: false',
    'default:\n  image: alpine\nrspec:\n  script: r\n  inherit:\n    default: false\n',
    { jobs: ['rspec'] },
  ),
  ok(
    'entry/inherit/variables',
    'inherit: variables: a list',
    'variables:\n  A: a\n  B: b\nrspec:\n  script: r\n  inherit:\n    variables: [A]\n',
    {
      facts: { rspec: { variables: { A: 'a' } } },
    },
  ),
  ok(
    'entry/stages',
    'custom stages order the jobs',
    'stages: [lint, unit]\nb:\n  stage: unit\n  script: x\na:\n  stage: lint\n  script: x\n',
    { jobs: ['a', 'b'] },
  ),
  refused(
    'entry/stages',
    'stages as a string',
    'stages: build\nrspec:\n  script: r\n',
    'stages config should be an array of strings',
  ),
  refused(
    'entry/stages',
    'stages with a number',
    'stages: [build, 1]\nrspec:\n  script: r\n',
    'stages config should be an array of strings',
  ),
  ok(
    'entry/stages',
    'types is the old name of stages',
    'types: [one, two]\nb:\n  stage: two\n  script: x\na:\n  stage: one\n  script: x\n',
    { jobs: ['a', 'b'] },
  ),
];

// ---- entry/id_token_spec.rb, entry/workflow_spec.rb, entry/bridge_spec.rb ----------------------

const OTHER: SpecCase[] = [
  ok('entry/id_token', 'an audience', job('  id_tokens:\n    ID_TOKEN_1:\n      aud: https://gitlab.com\n'), {
    facts: { rspec: { idTokens: { ID_TOKEN_1: ['https://gitlab.com'] } } },
  }),
  ok(
    'entry/id_token',
    'several audiences',
    job('  id_tokens:\n    ID_TOKEN_1:\n      aud: [https://gitlab.com, https://aws.com]\n'),
    {
      facts: { rspec: { idTokens: { ID_TOKEN_1: ['https://gitlab.com', 'https://aws.com'] } } },
    },
  ),
  refused(
    'entry/id_token',
    'a token without aud',
    job('  id_tokens:\n    ID_TOKEN_1: {}\n'),
    'config missing required keys: aud',
  ),
  refused(
    'entry/id_token',
    'an audience that is a number',
    job('  id_tokens:\n    ID_TOKEN_1:\n      aud: 1\n'),
    'aud should be an array of strings or a string',
  ),
  ok(
    'entry/workflow',
    'workflow rules that create the pipeline',
    "workflow:\n  rules:\n    - if: '$CI_COMMIT_BRANCH'\nrspec:\n  script: r\n",
    { jobs: ['rspec'] },
  ),
  ok(
    'entry/workflow',
    'workflow rules that create no pipeline',
    "workflow:\n  rules:\n    - if: '$CI_COMMIT_TAG'\nrspec:\n  script: r\n",
    { jobs: [] },
  ),
  refused(
    'entry/workflow',
    'a workflow rule with when: manual',
    'workflow:\n  rules:\n    - when: manual\nrspec:\n  script: r\n',
    'when unknown value: manual',
  ),
  refused(
    'entry/workflow',
    'an unknown workflow keyword',
    'workflow:\n  stages: [a]\nrspec:\n  script: r\n',
    'workflow config contains unknown keys: stages',
  ),
  refused(
    'entry/bridge',
    'script beside trigger',
    'rspec:\n  script: r\n  trigger: group/project\n',
    'these keys cannot be used together: script, trigger',
  ),
  ok('entry/bridge', 'a trigger job', 'deploy:\n  trigger: group/project\n', { jobs: ['deploy'] }),
];

export const GITLAB_SPEC_CASES: readonly SpecCase[] = [
  ...FIRST_CASES,
  ...VARIABLES,
  ...YAML_LOADING,
  ...IMAGES,
  ...GLOBAL,
  ...OTHER,
];
