import { readIncludeEntries } from '../config/include-entries.js';
import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { RubyFloat, RubySymbol } from '../yaml/ruby-scalars.js';
import type { SourceLocation } from '../yaml/source-map.js';
import { parseHumanDuration } from './duration.js';
import { readMatrix } from './read-rules.js';
import type { Reader } from './reader.js';
import type {
  ArtifactsDefinition,
  CacheDefinition,
  ChildInclude,
  EnvironmentDefinition,
  IdTokensDefinition,
  ImageDefinition,
  InheritDefinition,
  ParallelDefinition,
  RetryDefinition,
  ServiceDefinition,
  TriggerDefinition,
} from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const PULL_POLICIES = ['always', 'if-not-present', 'never'] as const;

export function readImage(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): ImageDefinition | undefined {
  if (typeof value === 'string')
    return value ? { name: value } : reader.fail(keyPath, 'config should be a hash or a string', at);
  if (!isYamlMap(value)) return reader.fail(keyPath, 'config should be a hash or a string', at);
  reader.checkKeys(value, ['name', 'entrypoint', 'pull_policy', 'docker', 'kubernetes'], keyPath);
  return readImageFields(reader, value, keyPath);
}

function readImageFields(reader: Reader, value: YamlMap, keyPath: string): ImageDefinition | undefined {
  const name = reader.string(value.name, `${keyPath}:name`, reader.at(value, 'name') ?? reader.at(value));
  if (name === undefined) return undefined;
  const image: Mutable<ImageDefinition> = { name };
  if (value.entrypoint !== undefined)
    image.entrypoint = reader.stringList(
      value.entrypoint,
      `${keyPath}:entrypoint`,
      reader.at(value, 'entrypoint'),
    );
  if (value.pull_policy !== undefined) {
    const list = typeof value.pull_policy === 'string' ? [value.pull_policy] : value.pull_policy;
    if (
      Array.isArray(list) &&
      list.length > 0 &&
      list.every((policy) => (PULL_POLICIES as readonly unknown[]).includes(policy))
    )
      image.pull_policy = list as ImageDefinition['pull_policy'];
    else
      reader.fail(
        `${keyPath}:pull_policy`,
        'config should be one of always, if-not-present, never, or an array of them',
        reader.at(value, 'pull_policy'),
      );
  }
  if (value.docker !== undefined) {
    const docker = reader.map(value.docker, `${keyPath}:docker`, reader.at(value, 'docker'));
    if (docker) {
      reader.checkKeys(docker, ['platform', 'user'], `${keyPath}:docker`);
      image.docker = {
        ...(typeof docker.platform === 'string' ? { platform: docker.platform } : {}),
        ...(typeof docker.user === 'string' ? { user: docker.user } : {}),
      };
    }
  }
  return image;
}

export function readServices(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): ServiceDefinition[] | undefined {
  if (!Array.isArray(value)) return reader.fail(keyPath, 'config should be a array', at);
  const services: ServiceDefinition[] = [];
  value.forEach((item, index) => {
    const itemAt = reader.at(value, index);
    if (typeof item === 'string') {
      services.push({ name: item });
      return;
    }
    if (!isYamlMap(item)) {
      reader.fail(`${keyPath}:service`, 'config should be a hash or a string', itemAt);
      return;
    }
    reader.checkKeys(
      item,
      ['name', 'entrypoint', 'command', 'alias', 'ports', 'variables', 'pull_policy', 'docker', 'kubernetes'],
      `${keyPath}:service`,
    );
    const image = readImageFields(reader, item, `${keyPath}:service`);
    if (!image) return;
    const service: Mutable<ServiceDefinition> = { ...image };
    if (item.alias !== undefined)
      service.alias = reader.string(item.alias, `${keyPath}:service:alias`, reader.at(item, 'alias'));
    if (item.command !== undefined)
      service.command = reader.stringList(
        item.command,
        `${keyPath}:service:command`,
        reader.at(item, 'command'),
      );
    if (item.variables !== undefined) {
      const variables = reader.variables(
        item.variables,
        `${keyPath}:service:variables`,
        reader.at(item, 'variables'),
        false,
      );
      service.variables = Object.fromEntries(variables.map((variable) => [variable.name, variable.value]));
    }
    services.push(service);
  });
  return services;
}

const CACHE_KEYS = ['key', 'paths', 'untracked', 'unprotect', 'policy', 'when', 'fallback_keys'];
const ARTIFACT_WHEN = ['on_success', 'on_failure', 'always'];

/** `cache:` as one mapping or a list of up to four. */
export function readCaches(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): CacheDefinition[] | undefined {
  if (value === null) return [];
  // GitLab's `Entry::Caches` composes `[config].flatten`: a list from an anchor that is itself a
  // list (`cache: [*go_cache]`) is one list of caches.
  const items: { item: YamlValue; at: SourceLocation | undefined }[] = [];
  const flatten = (list: YamlValue[]) =>
    list.forEach((item, index) => {
      if (Array.isArray(item)) flatten(item);
      else items.push({ item, at: reader.at(list, index) ?? at });
    });
  if (Array.isArray(value)) flatten(value);
  else items.push({ item: value as YamlValue, at });
  if (items.length > 4) reader.fail(keyPath, 'config has too many caches (maximum is 4)', at);
  const caches: CacheDefinition[] = [];
  items.forEach(({ item, at: itemAt }) => {
    const cache = reader.map(item, keyPath, itemAt);
    if (!cache) return;
    reader.checkKeys(cache, CACHE_KEYS, keyPath);
    const definition: Mutable<CacheDefinition> = {};
    if (cache.key !== undefined) {
      const key = cache.key;
      if (typeof key === 'string' || typeof key === 'number' || key instanceof RubySymbol) {
        const text = String(key);
        if (
          text.includes('/') ||
          /%2F/i.test(text) ||
          text === '.' ||
          (/%2E/i.test(text) && text.replace(/%2E/gi, '.') === '.')
        )
          reader.fail(
            `${keyPath}:key`,
            'config cannot contain the "/" character, nor be "." or "%2E"',
            reader.at(cache, 'key'),
          );
        definition.key = text;
      } else if (isYamlMap(key)) {
        reader.checkKeys(key, ['files', 'files_commits', 'prefix'], `${keyPath}:key`);
        const files =
          key.files === undefined
            ? undefined
            : reader.stringList(key.files, `${keyPath}:key:files`, reader.at(key, 'files'));
        const filesCommits =
          key.files_commits === undefined
            ? undefined
            : reader.stringList(
                key.files_commits,
                `${keyPath}:key:files_commits`,
                reader.at(key, 'files_commits'),
              );
        if (!files && !filesCommits)
          reader.fail(
            `${keyPath}:key`,
            'config should contain files or files_commits',
            reader.at(cache, 'key'),
          );
        if ((files?.length ?? 0) > 2 || (filesCommits?.length ?? 0) > 2)
          reader.fail(
            `${keyPath}:key:files`,
            'config has too many items (maximum is 2)',
            reader.at(cache, 'key'),
          );
        const prefix =
          key.prefix === undefined
            ? undefined
            : reader.text(key.prefix, `${keyPath}:key:prefix`, reader.at(key, 'prefix'));
        definition.key = {
          ...(files ? { files } : {}),
          ...(filesCommits ? { filesCommits } : {}),
          ...(prefix !== undefined ? { prefix } : {}),
        };
      } else
        reader.fail(
          `${keyPath}:key`,
          'config should be a hash, a string or a symbol',
          reader.at(cache, 'key'),
        );
    }
    if (cache.paths !== undefined)
      definition.paths = reader.stringList(cache.paths, `${keyPath}:paths`, reader.at(cache, 'paths'));
    if (cache.untracked !== undefined)
      definition.untracked = reader.boolean(
        cache.untracked,
        `${keyPath}:untracked`,
        reader.at(cache, 'untracked'),
      );
    if (cache.unprotect !== undefined)
      definition.unprotect = reader.boolean(
        cache.unprotect,
        `${keyPath}:unprotect`,
        reader.at(cache, 'unprotect'),
      );
    if (cache.policy !== undefined) {
      const policy = reader.string(cache.policy, `${keyPath}:policy`, reader.at(cache, 'policy'));
      if (policy !== undefined && !['pull-push', 'pull', 'push'].includes(policy) && !policy.includes('$'))
        reader.fail(
          `${keyPath}:policy`,
          'should be pull-push, push, pull, or a variable',
          reader.at(cache, 'policy'),
        );
      else definition.policy = policy;
    }
    if (cache.when !== undefined) {
      if (typeof cache.when === 'string' && ARTIFACT_WHEN.includes(cache.when))
        definition.when = cache.when as CacheDefinition['when'];
      else
        reader.fail(
          `${keyPath}:when`,
          'config should be one of on_success, on_failure or always',
          reader.at(cache, 'when'),
        );
    }
    if (cache.fallback_keys !== undefined) {
      const keys = reader.stringList(
        cache.fallback_keys,
        `${keyPath}:fallback_keys`,
        reader.at(cache, 'fallback_keys'),
      );
      if (keys && keys.length > 5)
        reader.fail(
          `${keyPath}:fallback_keys`,
          'config has too many keys (maximum is 5)',
          reader.at(cache, 'fallback_keys'),
        );
      if (keys) definition.fallbackKeys = keys;
    }
    caches.push(definition);
  });
  return caches;
}

const ARTIFACT_KEYS = [
  'name',
  'paths',
  'exclude',
  'untracked',
  'when',
  'expire_in',
  'expose_as',
  'public',
  'access',
  'reports',
];
const REPORTS = [
  'accessibility',
  'annotations',
  'api_fuzzing',
  'browser_performance',
  'coverage_report',
  'codequality',
  'container_scanning',
  'coverage_fuzzing',
  'cyclonedx',
  'dast',
  'dependency_scanning',
  'dotenv',
  'junit',
  'license_scanning',
  'load_performance',
  'metrics',
  'requirements',
  'sast',
  'secret_detection',
  'terraform',
  'performance',
  'repository_xray',
];

export function readArtifacts(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): ArtifactsDefinition | undefined {
  const artifacts = reader.map(value, keyPath, at);
  if (!artifacts) return undefined;
  reader.checkKeys(artifacts, ARTIFACT_KEYS, keyPath);
  const result: Mutable<ArtifactsDefinition> = {};
  if (artifacts.name !== undefined)
    result.name = reader.text(artifacts.name, `${keyPath}:name`, reader.at(artifacts, 'name'));
  if (artifacts.paths !== undefined)
    result.paths = reader.stringList(artifacts.paths, `${keyPath}:paths`, reader.at(artifacts, 'paths'));
  if (artifacts.exclude !== undefined)
    result.exclude = reader.stringList(
      artifacts.exclude,
      `${keyPath}:exclude`,
      reader.at(artifacts, 'exclude'),
    );
  if (artifacts.untracked !== undefined)
    result.untracked = reader.boolean(
      artifacts.untracked,
      `${keyPath}:untracked`,
      reader.at(artifacts, 'untracked'),
    );
  if (artifacts.public !== undefined)
    result.public = reader.boolean(artifacts.public, `${keyPath}:public`, reader.at(artifacts, 'public'));
  if (artifacts.expose_as !== undefined)
    result.exposeAs = reader.string(
      artifacts.expose_as,
      `${keyPath}:expose_as`,
      reader.at(artifacts, 'expose_as'),
    );
  if (artifacts.when !== undefined) {
    if (typeof artifacts.when === 'string' && ARTIFACT_WHEN.includes(artifacts.when))
      result.when = artifacts.when as ArtifactsDefinition['when'];
    else
      reader.fail(
        `${keyPath}:when`,
        'config should be on_success, on_failure or always',
        reader.at(artifacts, 'when'),
      );
  }
  if (artifacts.expire_in !== undefined) {
    const expireIn = reader.text(
      artifacts.expire_in,
      `${keyPath}:expire_in`,
      reader.at(artifacts, 'expire_in'),
    );
    if (expireIn !== undefined && expireIn !== 'never' && parseHumanDuration(expireIn) === undefined)
      reader.fail(`${keyPath}:expire_in`, 'config should be a duration', reader.at(artifacts, 'expire_in'));
    else if (expireIn !== undefined) result.expireIn = expireIn;
  }
  if (artifacts.reports !== undefined) {
    const reports = reader.map(artifacts.reports, `${keyPath}:reports`, reader.at(artifacts, 'reports'));
    if (reports) {
      reader.checkKeys(reports, REPORTS, `${keyPath}:reports`);
      const parsed: Record<string, string[]> = {};
      for (const [type, files] of Object.entries(reports)) {
        if (!REPORTS.includes(type)) continue;
        if (type === 'coverage_report') {
          if (isYamlMap(files) && typeof files.path === 'string') parsed[type] = [files.path];
          else
            reader.fail(
              `${keyPath}:reports:coverage_report`,
              'config should be a hash with coverage_format and path',
              reader.at(reports, type),
            );
          continue;
        }
        const list = reader.stringList(files, `${keyPath}:reports:${type}`, reader.at(reports, type), true);
        if (list) parsed[type] = list;
      }
      result.reports = parsed;
    }
  }
  return result;
}

/** GitLab's failure reasons that `retry:when` may name (`Ci::Build.failure_reasons` and `always`). */
const RETRY_WHEN = [
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

/** `retry:`: an integer from 0 to 2, or `{max, when, exit_codes}` (GitLab's `Entry::Retry` messages). */
export function readRetry(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): RetryDefinition | undefined {
  if (!isYamlMap(value)) {
    if (typeof value !== 'number')
      return reader.fail(keyPath, 'config has to be either an integer or a hash', at);
    if (value < 0) return reader.fail(keyPath, 'config must be greater than or equal to 0', at);
    if (value > 2) return reader.fail(keyPath, 'config must be less than or equal to 2', at);
    return { max: value };
  }
  reader.checkKeys(value, ['max', 'when', 'exit_codes'], keyPath);
  let max: number | undefined = 0;
  if (value.max !== undefined && value.max !== null) {
    const raw = value.max;
    if (typeof raw !== 'number') max = reader.fail(keyPath, 'max must be an integer', at);
    else if (raw < 0) max = reader.fail(keyPath, 'max must be greater than or equal to 0', at);
    else if (raw > 2) max = reader.fail(keyPath, 'max must be less than or equal to 2', at);
    else max = raw;
  }
  let when: string[] | undefined;
  if (value.when !== undefined && value.when !== null) {
    const raw = value.when;
    const list = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(list) || !list.every((each) => typeof each === 'string'))
      reader.fail(keyPath, 'when should be an array of strings or a string', at);
    else {
      const unknown = (list as string[]).filter((reason) => !RETRY_WHEN.includes(reason));
      if (unknown.length > 0)
        reader.fail(
          keyPath,
          typeof raw === 'string'
            ? 'when is not included in the list'
            : `when contains unknown values: ${unknown.join(', ')}`,
          at,
        );
      else when = list as string[];
    }
  }
  const codes =
    value.exit_codes === undefined || value.exit_codes === null
      ? undefined
      : typeof value.exit_codes === 'number'
        ? [value.exit_codes]
        : value.exit_codes;
  if (codes !== undefined && !(Array.isArray(codes) && codes.every((code) => typeof code === 'number')))
    reader.fail(keyPath, 'exit codes should be an array of integers or an integer', at);
  if (max === undefined) return undefined;
  return {
    max,
    ...(when ? { when } : {}),
    ...(Array.isArray(codes) ? { exitCodes: codes as number[] } : {}),
  };
}

export function readEnvironment(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): EnvironmentDefinition | undefined {
  if (typeof value === 'string') return { name: value };
  const env = reader.map(value, keyPath, at);
  if (!env) return undefined;
  reader.checkKeys(
    env,
    ['name', 'url', 'action', 'deployment_tier', 'on_stop', 'auto_stop_in', 'kubernetes'],
    keyPath,
  );
  const name = reader.string(env.name, `${keyPath}:name`, reader.at(env, 'name') ?? at);
  if (name === undefined) return undefined;
  const result: Mutable<EnvironmentDefinition> = { name };
  if (typeof env.url === 'string') result.url = env.url;
  if (env.action !== undefined) {
    if (
      typeof env.action === 'string' &&
      ['start', 'prepare', 'stop', 'verify', 'access'].includes(env.action)
    )
      result.action = env.action as EnvironmentDefinition['action'];
    else
      reader.fail(
        `${keyPath}:action`,
        'config should be start, prepare, stop, verify or access',
        reader.at(env, 'action'),
      );
  }
  if (typeof env.deployment_tier === 'string') result.deploymentTier = env.deployment_tier;
  if (typeof env.on_stop === 'string') result.onStop = env.on_stop;
  if (typeof env.auto_stop_in === 'string') result.autoStopIn = env.auto_stop_in;
  return result;
}

export function readParallel(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): ParallelDefinition | undefined {
  if (!isYamlMap(value)) {
    if (value instanceof RubyFloat) return reader.fail(keyPath, 'config must be an integer', at);
    if (typeof value !== 'number') return reader.fail(keyPath, 'config should be an integer or a hash', at);
    if (value < 1) return reader.fail(keyPath, 'config must be greater than or equal to 1', at);
    if (value > 200) return reader.fail(keyPath, 'config must be less than or equal to 200', at);
    return { kind: 'count', total: value };
  }
  reader.checkKeys(value, ['matrix'], keyPath);
  if (value.matrix === undefined)
    return reader.fail(keyPath, 'matrix builds config missing required keys: matrix', at);
  const matrix = readMatrix(reader, value.matrix, `${keyPath}:matrix`, reader.at(value, 'matrix') ?? at);
  if (!matrix) return undefined;
  const total = matrix.reduce(
    (sum, entry) => sum + Object.values(entry).reduce((product, values) => product * values.length, 1),
    0,
  );
  if (total > 200)
    return reader.fail(`${keyPath}:matrix`, 'config generates too many jobs (maximum is 200)', at);
  return { kind: 'matrix', matrix };
}

export function readTrigger(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): TriggerDefinition | undefined {
  if (typeof value === 'string')
    return { kind: 'project', project: value, forward: { yamlVariables: true, pipelineVariables: false } };
  const trigger = reader.map(value, keyPath, at);
  if (!trigger) return undefined;
  reader.checkKeys(trigger, ['include', 'project', 'branch', 'strategy', 'forward', 'inputs'], keyPath);
  let strategy: 'depend' | undefined;
  if (trigger.strategy !== undefined) {
    if (trigger.strategy === 'depend') strategy = 'depend';
    else reader.fail(`${keyPath}:strategy`, 'config should be depend', reader.at(trigger, 'strategy'));
  }
  const forwardMap =
    trigger.forward === undefined
      ? {}
      : reader.map(trigger.forward, `${keyPath}:forward`, reader.at(trigger, 'forward'));
  if (forwardMap)
    reader.checkKeys(forwardMap, ['yaml_variables', 'pipeline_variables'], `${keyPath}:forward`);
  const forward = {
    yamlVariables: forwardMap?.yaml_variables !== false,
    pipelineVariables: forwardMap?.pipeline_variables === true,
  };
  const common = { forward, ...(strategy ? { strategy } : {}) };
  if (trigger.project !== undefined) {
    if (trigger.include !== undefined)
      return reader.fail(keyPath, 'config should contain either project or include', at);
    const project = reader.string(trigger.project, `${keyPath}:project`, reader.at(trigger, 'project'));
    const branch =
      trigger.branch === undefined
        ? undefined
        : reader.text(trigger.branch, `${keyPath}:branch`, reader.at(trigger, 'branch'));
    return project === undefined
      ? undefined
      : { kind: 'project', project, ...(branch ? { branch } : {}), ...common };
  }
  if (trigger.include === undefined)
    return reader.fail(keyPath, 'config should contain either project or include', at);
  const triggerInputs = isYamlMap(trigger.inputs) ? trigger.inputs : undefined;
  const entries = readIncludeEntries(trigger.include, trigger, reader.sourceMap, reader.issues, {
    keyPath: `${keyPath}:include`,
    allowArtifact: true,
  });
  // Inputs written on the trigger itself apply to each include that has none of its own.
  const includes: ChildInclude[] = entries.map((entry) =>
    entry.inputs === undefined && triggerInputs ? { ...entry, inputs: triggerInputs } : entry,
  );
  const count = Array.isArray(trigger.include) ? trigger.include.length : 1;
  if (count > 3) reader.fail(`${keyPath}:include`, 'config has too many entries (maximum is 3)', at);
  return { kind: 'child', include: includes, ...common };
}

export const DEFAULT_KEYWORDS = [
  'after_script',
  'artifacts',
  'before_script',
  'cache',
  'hooks',
  'id_tokens',
  'image',
  'interruptible',
  'retry',
  'services',
  'tags',
  'timeout',
];

export function readInherit(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): InheritDefinition {
  const all: InheritDefinition = { default: true, variables: true };
  if (value === undefined) return all;
  const inherit = reader.map(value, keyPath, at);
  if (!inherit) return all;
  reader.checkKeys(inherit, ['default', 'variables'], keyPath);
  const read = (key: 'default' | 'variables') => {
    const raw = inherit[key];
    if (raw === undefined) return true;
    if (typeof raw === 'boolean') return raw;
    const list = reader.stringList(raw, `${keyPath}:${key}`, reader.at(inherit, key));
    if (key === 'default')
      for (const name of list ?? [])
        if (!DEFAULT_KEYWORDS.includes(name))
          reader.fail(`${keyPath}:default`, `unknown default keyword: ${name}`, reader.at(inherit, key));
    return list ?? true;
  };
  return { default: read('default'), variables: read('variables') };
}

/** `id_tokens:`: each token a hash with `aud`, a string or an array of strings (GitLab's `IdToken`). */
export function readIdTokens(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): IdTokensDefinition | undefined {
  const map = reader.map(value, keyPath, at);
  if (!map) return undefined;
  const tokens: Record<string, { aud: string | readonly string[] }> = {};
  for (const [name, token] of Object.entries(map)) {
    const path = `${keyPath}:${name}`;
    const where = reader.at(map, name);
    const config = reader.map(token, path, where);
    if (!config) continue;
    reader.checkKeys(config, ['aud'], path);
    const aud = config.aud;
    if (aud === undefined) reader.fail(path, 'config missing required keys: aud', where);
    else if (typeof aud === 'string' && aud !== '') tokens[name] = { aud };
    else if (Array.isArray(aud) && aud.length > 0 && aud.every((each) => typeof each === 'string'))
      tokens[name] = { aud: aud as string[] };
    else
      reader.fail(path, 'aud should be an array of strings or a string', reader.at(config, 'aud') ?? where);
  }
  return tokens;
}
