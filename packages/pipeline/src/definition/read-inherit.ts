import type { YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { Reader } from './reader.js';
import type { InheritDefinition } from './types.js';

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
