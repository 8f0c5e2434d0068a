import type { YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { Reader } from './reader.js';
import type { EnvironmentDefinition } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
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
