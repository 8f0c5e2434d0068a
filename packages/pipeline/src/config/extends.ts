import { IssueCollector } from '../errors.js';
import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceMap } from '../yaml/source-map.js';
import { deepMerge } from './deep-merge.js';

/** GitLab allows `extends` chains up to this many levels. */
export const MAX_EXTENDS_DEPTH = 11;

/**
 * Resolves `extends:` on every top-level mapping (jobs, hidden jobs, `default`) as GitLab does: the
 * parents (one or several, each resolved first) are deep-merged in order, then the entry's own keys
 * on top; lists are replaced, never concatenated. Unknown parents, cycles and chains deeper than
 * 11 levels are errors naming the entry.
 */
export function resolveExtends(content: YamlMap, sourceMap: SourceMap): YamlMap {
  const issues = new IssueCollector();
  const resolved = new Map<string, YamlMap>();
  const result: YamlMap = {};
  const entries = sourceMap.record(result, sourceMap.locationOf(content) ?? { file: '', line: 0, column: 0 });

  const resolve = (name: string, chain: readonly string[]): YamlMap | undefined => {
    const done = resolved.get(name);
    if (done) return done;
    const value = content[name];
    if (!isYamlMap(value)) return undefined;
    const at = sourceMap.entryLocation(content, name);
    if (chain.includes(name)) {
      issues.add(name, 'circular dependency detected in `extends`', at);
      return value;
    }
    if (chain.length >= MAX_EXTENDS_DEPTH) {
      issues.add(chain[0]!, 'nesting too deep in `extends`', sourceMap.entryLocation(content, chain[0]!));
      return value;
    }
    const extendsValue = value.extends;
    if (extendsValue === undefined) {
      resolved.set(name, value);
      return value;
    }
    const parents = typeof extendsValue === 'string' ? [extendsValue] : extendsValue;
    if (!Array.isArray(parents) || parents.some((parent) => typeof parent !== 'string')) {
      issues.add(
        `${keyPathOf(name)}:extends`,
        'config should be a string or an array of strings',
        sourceMap.entryLocation(value, 'extends'),
      );
      return value;
    }
    let merged: YamlValue = {};
    for (const parent of parents as string[]) {
      if (!(parent in content)) {
        issues.add(
          `${keyPathOf(name)}:extends`,
          `unknown key \`${parent}\` in \`extends\``,
          sourceMap.entryLocation(value, 'extends'),
        );
        continue;
      }
      const base = resolve(parent, [...chain, name]);
      if (!base) {
        issues.add(
          `${keyPathOf(name)}:extends`,
          `invalid base hash in \`extends\`: \`${parent}\` is not a mapping`,
          sourceMap.entryLocation(value, 'extends'),
        );
        continue;
      }
      merged = deepMerge(merged, withoutExtends(base, sourceMap), sourceMap);
    }
    const own = withoutExtends(value, sourceMap);
    const final = deepMerge(merged, own, sourceMap) as YamlMap;
    sourceMap.alias(final, value);
    resolved.set(name, final);
    return final;
  };

  for (const [name, value] of Object.entries(content)) {
    const at = sourceMap.entryLocation(content, name);
    if (at) entries.set(name, at);
    result[name] = isYamlMap(value) && value.extends !== undefined ? (resolve(name, []) ?? value) : value;
  }
  issues.throwIfAny();
  return result;
}

function withoutExtends(value: YamlMap, sourceMap: SourceMap): YamlMap {
  if (!('extends' in value)) return value;
  const copy: YamlMap = {};
  const entries = sourceMap.record(copy, sourceMap.locationOf(value) ?? { file: '', line: 0, column: 0 });
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'extends') continue;
    copy[key] = inner;
    const at = sourceMap.entryLocation(value, key);
    if (at) entries.set(key, at);
  }
  return copy;
}

function keyPathOf(name: string): string {
  return name === 'default' ? 'default' : `jobs:${name}`;
}
