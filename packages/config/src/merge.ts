import { isPlainObject } from './env.js';

/**
 * Lists that the project file adds to rather than replaces. Everything else follows "project wins,
 * per key": tables merge key by key, scalars and other lists are replaced.
 */
export const ADDITIVE_LISTS: readonly string[] = ['network.extra_hosts.entries'];

/**
 * Tables whose keys depend on a discriminator: when the project picks another `driver`, its table
 * replaces the user's whole, since the user's keys (a filesystem `root`) mean nothing to the new one.
 */
export const DISCRIMINATED_TABLES: Readonly<Record<string, { field: string; default: string }>> = {
  'registry.storage': { field: 'driver', default: 'filesystem' },
};

export function mergeConfigLayers(base: unknown, override: unknown, path: readonly string[] = []): unknown {
  if (override === undefined) return base;
  if (isPlainObject(base) && isPlainObject(override)) {
    const discriminator = DISCRIMINATED_TABLES[path.join('.')];
    if (discriminator) {
      const chosen = override[discriminator.field];
      if (chosen !== undefined && chosen !== (base[discriminator.field] ?? discriminator.default))
        return override;
    }
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
