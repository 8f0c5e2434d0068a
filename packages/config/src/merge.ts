import { isPlainObject } from './env.js';

/**
 * Lists that the project file adds to rather than replaces. Everything else follows "project wins,
 * per key": tables merge key by key, scalars and other lists are replaced.
 */
export const ADDITIVE_LISTS: readonly string[] = ['network.extra_hosts.entries'];

export function mergeConfigLayers(base: unknown, override: unknown, path: readonly string[] = []): unknown {
  if (override === undefined) return base;
  if (isPlainObject(base) && isPlainObject(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) {
      merged[key] = mergeConfigLayers(base[key], value, [...path, key]);
    }
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(override) && ADDITIVE_LISTS.includes(path.join('.'))) {
    return [...new Set([...base, ...override])];
  }
  return override;
}
