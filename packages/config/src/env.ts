/**
 * `$VAR` and `${VAR}` references in string values are resolved from the environment here and only
 * here. `$$` stands for a literal dollar sign. A reference to a variable that is not set is an error.
 */

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export interface UnsetVariable {
  readonly path: readonly (string | number)[];
  readonly variable: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Expands references in every string of a parsed TOML document; returns the copy and any unset names. */
export function expandEnvironment(
  value: unknown,
  env: Environment,
): { value: unknown; unset: UnsetVariable[] } {
  const unset: UnsetVariable[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string')
      return expandString(node, env, (variable) => unset.push({ path, variable }));
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (isPlainObject(node)) {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };
  return { value: walk(value, []), unset };
}

function expandString(text: string, env: Environment, onUnset: (name: string) => void): string {
  return text.replace(REFERENCE, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const resolved = env[name];
    if (resolved === undefined) {
      onUnset(name);
      return '';
    }
    return resolved;
  });
}

/** A table: an object literal (or a null-prototype object), not an array, date, error or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
