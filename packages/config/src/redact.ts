import { isPlainObject } from './env.js';

/** Key names whose values are secrets wherever they appear. */
const SECRET_KEYS = /^(password|token|secret|secret_access_key|shared_secret|access_token|private_key)$/i;
export const REDACTED = '<redacted>';

/** A deep copy with every secret replaced, for printing and logging. */
export function redactSecrets<T>(value: T): T {
  const walk = (node: unknown, key: string | undefined): unknown => {
    if (key !== undefined && SECRET_KEYS.test(key) && node !== undefined && node !== null && node !== '') {
      return REDACTED;
    }
    if (Array.isArray(node)) return node.map((item) => walk(item, undefined));
    if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
    return node;
  };
  return walk(value, undefined) as T;
}
