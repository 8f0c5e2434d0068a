import { isPlainObject } from './env.js';

/**
 * Key names whose values are secrets wherever they appear, compared case-insensitively with `_` and
 * `-` removed, so `password`, `registry_password`, `accessToken` and `Authorization` all match.
 */
const SECRET_SUFFIXES = [
  'password',
  'passwd',
  'token',
  'secret',
  'secretaccesskey',
  'privatekey',
  'apikey',
  'authorization',
  'auth',
];
export const REDACTED = '<redacted>';

/** Whether values under this key are redacted by `redactSecrets`. */
export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/**
 * A deep copy of plain objects and arrays with every secret replaced, for printing and logging.
 * Other objects (errors, dates, buffers) are kept as they are.
 */
export function redactSecrets<T>(value: T): T {
  const walk = (node: unknown, key: string | undefined): unknown => {
    if (key !== undefined && isSecretKey(key) && node !== undefined && node !== null && node !== '') {
      return REDACTED;
    }
    if (Array.isArray(node)) return node.map((item) => walk(item, undefined));
    if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
    return node;
  };
  return walk(value, undefined) as T;
}
