import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { Reader } from './reader.js';
import type { ImageDefinition, ServiceDefinition } from './types.js';

// `image:` and `services:` share their fields (a service is an image with an alias, a command and variables).

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
