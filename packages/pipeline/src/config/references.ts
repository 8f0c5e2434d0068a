import { IssueCollector } from '../errors.js';
import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { ReferenceTag } from '../yaml/reference-tag.js';
import type { SourceMap } from '../yaml/source-map.js';

/** GitLab follows at most this many `!reference` tags inside one another. */
export const MAX_REFERENCE_DEPTH = 10;

/**
 * Replaces every `!reference [key, ...]` with the value at that path of the configuration after
 * `extends`, following references inside the referenced value. A reference inside a list stays a
 * nested list (script-like keys and `rules` flatten it later, as GitLab does).
 */
export function resolveReferences(content: YamlMap, sourceMap: SourceMap): YamlMap {
  const issues = new IssueCollector();
  const lookup = (tag: ReferenceTag): YamlValue | undefined => {
    let node: YamlValue | undefined = content;
    for (const key of tag.path) {
      if (!isYamlMap(node) || !(key in node)) return undefined;
      node = node[key];
    }
    return node;
  };
  const visit = (value: YamlValue, depth: number): YamlValue => {
    if (value instanceof ReferenceTag) {
      if (depth >= MAX_REFERENCE_DEPTH) {
        issues.add('', `too many nested references: ${value.toString()}`, value.location);
        return null;
      }
      const target = lookup(value);
      if (target === undefined) {
        issues.add('', `${value.toString()} could not be found`, value.location);
        return null;
      }
      return visit(target, depth + 1);
    }
    // One walk: a list or mapping is copied only when something inside it was a reference.
    if (Array.isArray(value)) {
      let list: YamlValue[] | undefined;
      for (let index = 0; index < value.length; index++) {
        const item = value[index]!;
        const visited = visit(item, depth);
        if (visited !== item && !list) list = value.slice(0, index);
        list?.push(visited);
      }
      if (!list) return value;
      sourceMap.alias(list, value);
      return list;
    }
    if (isYamlMap(value)) {
      let map: YamlMap | undefined;
      const keys = Object.keys(value);
      for (const key of keys) {
        const inner = value[key]!;
        const visited = visit(inner, depth);
        if (visited !== inner && !map) map = copyUntil(value, key);
        if (map) map[key] = visited;
      }
      if (!map) return value;
      const entries = sourceMap.record(map, sourceMap.locationOf(value) ?? { file: '', line: 0, column: 0 });
      for (const key of keys) {
        const at = sourceMap.entryLocation(value, key);
        if (at) entries.set(key, at);
      }
      return map;
    }
    return value;
  };
  const result = visit(content, 0) as YamlMap;
  issues.throwIfAny();
  return result;
}

/** The entries of `map` before `key`, in order. */
function copyUntil(map: YamlMap, key: string): YamlMap {
  const copy: YamlMap = {};
  for (const each of Object.keys(map)) {
    if (each === key) break;
    copy[each] = map[each]!;
  }
  return copy;
}
