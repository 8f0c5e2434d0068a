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
    if (Array.isArray(value)) {
      if (!value.some(containsReference)) return value;
      const list = value.map((item) => visit(item, depth));
      sourceMap.alias(list, value);
      return list;
    }
    if (isYamlMap(value)) {
      if (!containsReference(value)) return value;
      const map: YamlMap = {};
      const entries = sourceMap.record(map, sourceMap.locationOf(value) ?? { file: '', line: 0, column: 0 });
      for (const [key, inner] of Object.entries(value)) {
        map[key] = visit(inner, depth);
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

function containsReference(value: YamlValue): boolean {
  if (value instanceof ReferenceTag) return true;
  if (Array.isArray(value)) return value.some(containsReference);
  if (isYamlMap(value)) return Object.values(value).some(containsReference);
  return false;
}
