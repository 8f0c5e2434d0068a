import type { ReferenceTag } from './reference-tag.js';
import { type RubyFloat, RubySymbol } from './ruby-scalars.js';

/**
 * Values as GitLab sees them after YAML: mappings, lists, scalars and `!reference` tags. Scalars
 * have Psych's types: an Integer is a number (a bigint when it does not fit), a Float a
 * `RubyFloat`, a `:name` a `RubySymbol`.
 */
export type YamlValue =
  | null
  | string
  | number
  | bigint
  | boolean
  | RubyFloat
  | RubySymbol
  | YamlValue[]
  | YamlMap
  | ReferenceTag;
export interface YamlMap {
  [key: string]: YamlValue;
}

/** Ruby's `inspect` of a loaded value, for GitLab's messages about `!reference`. */
export function rubyInspect(value: YamlValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(', ')}]`;
  if (value instanceof RubySymbol) return `:${value.name}`;
  if (isYamlMap(value))
    return `{${Object.entries(value)
      .map(([key, inner]) => `${JSON.stringify(key)}=>${rubyInspect(inner)}`)
      .join(', ')}}`;
  return String(value);
}

/** A mapping: a plain object (not a list, a `!reference`, a `RubyFloat` or a `RubySymbol`). */
export function isYamlMap(value: unknown): value is YamlMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
