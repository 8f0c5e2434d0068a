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

export const GITLAB_SPEC_CASES: readonly SpecCase[] = [...RETRY, ...RULES];
