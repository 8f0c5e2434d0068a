import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceMap } from '../yaml/source-map.js';

/**
 * GitLab's `deep_merge` (includes, `extends`): mappings merge key by key, recursively; any other
 * value, lists included, is replaced by the override. Neither input is modified. The result keeps
 * the override's positions for its keys and the base's for the rest.
 */
export function deepMerge(base: YamlValue, override: YamlValue, sourceMap?: SourceMap): YamlValue {
  if (!isYamlMap(base) || !isYamlMap(override)) return override;
  const merged: YamlMap = {};
  const baseLocation = sourceMap?.locationOf(base);
  const entries = sourceMap?.record(
    merged,
    sourceMap.locationOf(override) ?? baseLocation ?? unknownLocation,
  );
  for (const key of Object.keys(base)) {
    merged[key] = base[key]!;
    const at = sourceMap?.entryLocation(base, key);
    if (at) entries?.set(key, at);
  }
  for (const key of Object.keys(override)) {
    const value = override[key]!;
    merged[key] = key in base ? deepMerge(base[key]!, value, sourceMap) : value;
    const at = sourceMap?.entryLocation(override, key);
    if (at) entries?.set(key, at);
  }
  return merged;
}

const unknownLocation = { file: '', line: 0, column: 0 };
