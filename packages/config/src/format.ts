import { stringify as stringifyToml } from 'smol-toml';
import { z } from 'zod';
import { isPlainObject } from './env.js';
import { displayPath } from './errors.js';
import type { LoadedConfig } from './load.js';
import { redactSecrets } from './redact.js';
import { configSchema, type UnitKind, unitRegistry } from './schema.js';
import { visitFields } from './schema-walk.js';
import { formatDuration, formatSize } from './units.js';

/** Unit-tagged fields, found from the schema itself so the printer never drifts from it. */
const unitFields: readonly { path: readonly string[]; unit: UnitKind }[] = (() => {
  const found: { path: readonly string[]; unit: UnitKind }[] = [];
  visitFields(configSchema, (path, schema) => {
    let node: z.ZodType = schema;
    // Look through the prefault wrapper to the tagged transform.
    while (node instanceof z.ZodPrefault || node instanceof z.ZodDefault || node instanceof z.ZodOptional) {
      node = node.unwrap() as z.ZodType;
    }
    const meta = unitRegistry.get(node);
    if (meta) found.push({ path, unit: meta.unit });
  });
  return found;
})();

/** The configuration as a user would write it: units restored, secrets redacted. */
export function toDisplayObject(config: unknown): Record<string, unknown> {
  return withUnits(structuredClone(redactSecrets(config)) as Record<string, unknown>);
}

/** Sizes and durations in `copy` (changed in place) written back with units, exactly. */
function withUnits(copy: Record<string, unknown>): Record<string, unknown> {
  for (const { path, unit } of unitFields) {
    const parent = path
      .slice(0, -1)
      .reduce<Record<string, unknown> | undefined>(
        (node, key) => node?.[key] as Record<string, unknown> | undefined,
        copy,
      );
    const key = path.at(-1)!;
    const value = parent?.[key];
    if (parent && typeof value === 'number')
      parent[key] = unit === 'size' ? formatSize(value) : formatDuration(value);
  }
  return copy;
}

/** `glci config` output: TOML that is itself a valid config file, with the sources as comments. */
export function formatConfigToml(loaded: LoadedConfig): string {
  const lines = ['# glci effective configuration (secrets redacted)'];
  lines.push(
    `# user file:    ${loaded.sources.global ? displayPath(loaded.sources.global) : '(none, defaults)'}`,
  );
  lines.push(`# project file: ${loaded.sources.project ? displayPath(loaded.sources.project) : '(none)'}`);
  return `${lines.join('\n')}\n\n${stringifyToml(escapeDollars(toDisplayObject(loaded.config)))}\n`;
}

/**
 * Configuration values (as loaded: sizes in bytes, durations in milliseconds, secrets kept) as a
 * TOML config file that loads back to the same values: how `glci run` hands settings to a process
 * that cannot read the user's files.
 */
export function toConfigToml(values: Record<string, unknown>): string {
  // JSON drops the keys of unset optional fields, which TOML has no way to write.
  const copy = JSON.parse(JSON.stringify(values)) as Record<string, unknown>;
  return `${stringifyToml(escapeDollars(withUnits(copy)))}\n`;
}

/** A literal `$` is written `$$` in a config file, so the printed TOML reads back to the same values. */
function escapeDollars(node: unknown): unknown {
  if (typeof node === 'string') return node.replaceAll('$', () => '$$');
  if (Array.isArray(node)) return node.map(escapeDollars);
  if (isPlainObject(node))
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, escapeDollars(v)]));
  return node;
}

/** `glci config --json`: numbers stay numbers (sizes in bytes, durations in milliseconds). */
export function formatConfigJson(loaded: LoadedConfig): string {
  return `${JSON.stringify({ sources: loaded.sources, glciHome: loaded.glciHome, config: redactSecrets(loaded.config) }, null, 2)}\n`;
}
