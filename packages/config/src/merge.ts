import { isPlainObject } from './env.js';

/**
 * Lists that the project file adds to rather than replaces. Everything else follows "project wins,
 * per key": tables merge key by key, scalars and other lists are replaced.
 */
export const ADDITIVE_LISTS: readonly string[] = [
  'network.extra_hosts.entries',
  'skip.jobs',
  'skip.job_patterns',
  'skip.stages',
  'manual.jobs',
  'manual.job_patterns',
];

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

/**
 * The override as it reads on top of `base`: a discriminated table that leaves its discriminator out
 * keeps the base's (a project that sets only `bucket` stays on the user's `driver = "s3"`). Used to
 * validate a project file on its own without false errors; the merge gives the same result.
 */
export function inheritDiscriminators(base: unknown, override: unknown): unknown {
  let result = override;
  for (const [tablePath, discriminator] of Object.entries(DISCRIMINATED_TABLES)) {
    const keys = tablePath.split('.');
    const baseTable = tableAt(base, keys);
    const overrideTable = tableAt(override, keys);
    if (!baseTable || !overrideTable || overrideTable[discriminator.field] !== undefined) continue;
    const inherited = baseTable[discriminator.field];
    if (inherited === undefined) continue;
    result = withTable(result, keys, { [discriminator.field]: inherited, ...overrideTable });
  }
  return result;
}

function tableAt(data: unknown, keys: readonly string[]): Record<string, unknown> | undefined {
  let node = data;
  for (const key of keys) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return isPlainObject(node) ? node : undefined;
}

/** A copy of `data` with the table at `keys` replaced; the tables along the way must exist. */
function withTable(data: unknown, keys: readonly string[], table: Record<string, unknown>): unknown {
  if (keys.length === 0) return table;
  const node = data as Record<string, unknown>;
  return { ...node, [keys[0]!]: withTable(node[keys[0]!], keys.slice(1), table) };
}
