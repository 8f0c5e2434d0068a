import { isYamlMap, type YamlMap } from '../yaml/load-yaml.js';
import { parseHumanDuration } from './duration.js';
import {
  readArtifacts,
  readCaches,
  readEnvironment,
  readIdTokens,
  readImage,
  readInherit,
  readParallel,
  readRetry,
  readServices,
  readTrigger,
} from './read-keywords.js';
import {
  JOB_WHEN,
  RULE_KEYS,
  RULE_WHEN,
  readAllowFailure,
  readNeeds,
  readOnlyExcept,
  readRules,
} from './read-rules.js';
import type { Reader } from './reader.js';
import type { JobDefinition } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export const JOB_KEYWORDS = [
  'after_script',
  'allow_failure',
  'artifacts',
  'before_script',
  'cache',
  'coverage',
  'dast_configuration',
  'dependencies',
  'environment',
  'except',
  'hooks',
  'identity',
  'id_tokens',
  'image',
  'inherit',
  'interruptible',
  'manual_confirmation',
  'needs',
  'only',
  'pages',
  'parallel',
  'publish',
  'release',
  'resource_group',
  'retry',
  'rules',
  'run',
  'script',
  'secrets',
  'services',
  'stage',
  'start_in',
  'tags',
  'timeout',
  'trigger',
  'type',
  'variables',
  'when',
];

/** Keywords a trigger job may have (GitLab's bridge jobs). */
const TRIGGER_KEYWORDS = [
  'allow_failure',
  'environment',
  'except',
  'inherit',
  'needs',
  'only',
  'parallel',
  'resource_group',
  'rules',
  'stage',
  'trigger',
  'variables',
  'when',
  'start_in',
  'manual_confirmation',
];

/** Keywords glci refuses, with why: they need GitLab itself. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  identity: 'identity (cloud identity federation through GitLab) is not supported locally',
  run: 'run (CI/CD steps) is not supported by glci yet',
};

/** Reads one visible job; `stages` checks its `stage`. Issues are collected on the reader. */
export function readJob(
  reader: Reader,
  name: string,
  value: YamlMap,
  root: YamlMap,
  warnings: string[],
): JobDefinition | undefined {
  const keyPath = `jobs:${name}`;
  const at = reader.at(root, name);
  const isTrigger = value.trigger !== undefined;
  reader.checkKeys(value, isTrigger ? [...TRIGGER_KEYWORDS, 'script'] : JOB_KEYWORDS, keyPath);
  if (isTrigger && value.script !== undefined)
    reader.fail(
      keyPath,
      'config these keys cannot be used together: script, trigger',
      reader.at(value, 'script'),
    );
  for (const [keyword, why] of Object.entries(UNSUPPORTED)) {
    if (value[keyword] !== undefined) reader.fail(`${keyPath}:${keyword}`, why, reader.at(value, keyword));
  }
  if (value.release !== undefined)
    warnings.push(`${keyPath}:release: the release is not created locally; the job's script runs`);
  if (value.script === undefined && !isTrigger && value.run === undefined) {
    reader.fail(keyPath, 'config should implement the script:, run:, or trigger: keyword', at);
    return undefined;
  }
  if (value.rules !== undefined && (value.only !== undefined || value.except !== undefined))
    reader.fail(
      keyPath,
      `config key may not be used with \`rules\`: ${['only', 'except'].filter((key) => value[key] !== undefined).join(', ')}`,
      at,
    );

  const job: Mutable<JobDefinition> = {
    name,
    location: at,
    stage: 'test',
    variables: reader.variables(
      value.variables,
      `${keyPath}:variables`,
      reader.at(value, 'variables'),
      false,
    ),
    inherit: readInherit(reader, value.inherit, `${keyPath}:inherit`, reader.at(value, 'inherit')),
  };
  const field = (key: string) => ({ path: `${keyPath}:${key}`, at: reader.at(value, key) });
  const has = (key: string) => value[key] !== undefined && value[key] !== null;

  // `type` is the deprecated name of `stage`, still taken when `stage` is absent.
  const stageKey = value.stage !== undefined ? 'stage' : value.type !== undefined ? 'type' : undefined;
  if (stageKey) {
    const { path, at: where } = field(stageKey);
    const stage = reader.text(value[stageKey], path, where);
    if (stage !== undefined) job.stage = stage;
  }
  for (const [key, target] of [
    ['script', 'script'],
    ['before_script', 'beforeScript'],
    ['after_script', 'afterScript'],
  ] as const) {
    if (value[key] === undefined) continue;
    const { path, at: where } = field(key);
    const lines = reader.script(value[key], path, where);
    if (lines) job[target] = lines;
  }
  if (job.script && job.script.length === 0 && !isTrigger)
    reader.fail(keyPath, "script can't be blank", reader.at(value, 'script'));
  if (has('image')) job.image = readImage(reader, value.image, field('image').path, field('image').at);
  if (has('services'))
    job.services = readServices(reader, value.services, field('services').path, field('services').at);
  if (value.rules !== undefined)
    job.rules = readRules(reader, value.rules, field('rules').path, field('rules').at, {
      when: RULE_WHEN,
      keys: RULE_KEYS.filter((key) => !['if', 'changes', 'exists', 'when'].includes(key)),
    });
  if (value.only !== undefined)
    job.only = readOnlyExcept(reader, value.only, field('only').path, field('only').at);
  if (value.except !== undefined)
    job.except = readOnlyExcept(reader, value.except, field('except').path, field('except').at);
  if (value.when !== undefined) {
    if (typeof value.when === 'string' && (JOB_WHEN as readonly string[]).includes(value.when))
      job.when = value.when as JobDefinition['when'];
    else reader.fail(keyPath, `when should be one of: ${JOB_WHEN.join(', ')}`, field('when').at);
  }
  // GitLab's Entry::Job: start_in only with `when: delayed` and never beside rules (a rule has its own).
  if (value.start_in !== undefined) {
    if (job.when !== 'delayed' || value.rules !== undefined)
      reader.fail(keyPath, 'start in must be blank', field('start_in').at);
    else {
      const startIn = reader.text(value.start_in, field('start_in').path, field('start_in').at);
      const seconds = startIn === undefined ? undefined : parseHumanDuration(startIn);
      if (startIn !== undefined && seconds === undefined)
        reader.fail(keyPath, 'start in should be a duration', field('start_in').at);
      else if (seconds !== undefined && seconds > 7 * 86400)
        reader.fail(keyPath, 'start in should not exceed the limit', field('start_in').at);
      else if (startIn !== undefined) job.startIn = startIn;
    }
  }
  if (job.when === 'delayed' && value.start_in === undefined)
    reader.fail(keyPath, 'start in should be a duration (`when: delayed` needs `start_in`)', at);
  if (value.allow_failure !== undefined)
    job.allowFailure = readAllowFailure(
      reader,
      value.allow_failure,
      field('allow_failure').path,
      field('allow_failure').at,
    );
  if (value.needs !== undefined && value.needs !== null)
    job.needs = readNeeds(reader, value.needs, field('needs').path, field('needs').at);
  if (value.dependencies !== undefined && value.dependencies !== null)
    if (Array.isArray(value.dependencies) && value.dependencies.every((each) => typeof each === 'string'))
      job.dependencies = value.dependencies as string[];
    else reader.fail(keyPath, 'dependencies should be an array of strings', field('dependencies').at);
  if (has('parallel'))
    job.parallel = readParallel(reader, value.parallel, field('parallel').path, field('parallel').at);
  if (has('artifacts'))
    job.artifacts = readArtifacts(reader, value.artifacts, field('artifacts').path, field('artifacts').at);
  if (value.cache !== undefined)
    job.cache = readCaches(reader, value.cache, field('cache').path, field('cache').at);
  if (has('retry')) job.retry = readRetry(reader, value.retry, field('retry').path, field('retry').at);
  if (has('timeout')) {
    const timeout = reader.text(value.timeout, field('timeout').path, field('timeout').at);
    if (timeout !== undefined && parseHumanDuration(timeout) === undefined)
      reader.fail(field('timeout').path, 'config should be a duration', field('timeout').at);
    else if (timeout !== undefined) job.timeout = timeout;
  }
  if (has('tags')) job.tags = reader.stringList(value.tags, field('tags').path, field('tags').at);
  if (has('environment'))
    job.environment = readEnvironment(
      reader,
      value.environment,
      field('environment').path,
      field('environment').at,
    );
  if (has('resource_group'))
    job.resourceGroup = reader.string(
      value.resource_group,
      field('resource_group').path,
      field('resource_group').at,
    );
  if (has('interruptible'))
    job.interruptible = reader.boolean(
      value.interruptible,
      field('interruptible').path,
      field('interruptible').at,
    );
  if (has('coverage')) {
    const coverage = reader.string(value.coverage, field('coverage').path, field('coverage').at);
    if (coverage !== undefined && !/^\/.+\/[a-z]*$/s.test(coverage))
      reader.fail(
        field('coverage').path,
        'config must be a regular expression such as /Coverage: (\\d+\\.\\d+)%/',
        field('coverage').at,
      );
    else if (coverage !== undefined) job.coverage = coverage;
  }
  if (isTrigger) job.trigger = readTrigger(reader, value.trigger, field('trigger').path, field('trigger').at);
  if (has('hooks')) {
    const hooks = reader.map(value.hooks, field('hooks').path, field('hooks').at);
    if (hooks) {
      reader.checkKeys(hooks, ['pre_get_sources_script'], field('hooks').path);
      const lines = reader.script(
        hooks.pre_get_sources_script,
        `${keyPath}:hooks:pre_get_sources_script`,
        reader.at(hooks, 'pre_get_sources_script'),
      );
      if (lines) job.hooks = { pre_get_sources_script: lines };
    }
  }
  if (has('manual_confirmation'))
    job.manualConfirmation = reader.string(
      value.manual_confirmation,
      field('manual_confirmation').path,
      field('manual_confirmation').at,
    );
  if (value.id_tokens !== undefined) {
    const tokens = readIdTokens(reader, value.id_tokens, field('id_tokens').path, field('id_tokens').at);
    if (tokens) job.idTokens = tokens;
  }
  if (value.secrets !== undefined) {
    const secrets = reader.map(value.secrets, field('secrets').path, field('secrets').at);
    if (secrets) job.secrets = secrets;
  }
  if (isYamlMap(value.pages) || value.pages === false)
    warnings.push(`${keyPath}:pages: GitLab Pages are not deployed locally; the job's script runs`);
  return job;
}
