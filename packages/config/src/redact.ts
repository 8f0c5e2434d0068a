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
  // A session cookie is a credential too (`Cookie`, `Set-Cookie` headers in request logs).
  'cookie',
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

/**
 * Names that mark a secret inside free text: the value after `name=` or `name: `, and the value of
 * a URL query parameter of that name (`?X-Amz-Signature=…`, `&access_token=…`).
 */
const SECRET_NAME =
  '(?:[a-z0-9_.-]*(?:password|passwd|token|secret|secretaccesskey|secret_access_key|privatekey|private_key|apikey|api_key|signature|credential|session_key))';
/** Pattern and replacement; an empty replacement keeps the name and re-quotes the value (`requote`). */
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Credentials in a URL: scheme://user:password@host or scheme://token@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, `$1${REDACTED}@`],
  // A secret query parameter in a URL.
  [new RegExp(`([?&;]${SECRET_NAME}=)[^&#\\s"'<>]+`, 'gi'), `$1${REDACTED}`],
  // HTTP credentials: `Authorization: Bearer x`, `Basic x`, `token x`.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/g, `$1 ${REDACTED}`],
  // `password=…`, `"token": "…"`, `secret: '…'` in text (a message, a stringified config).
  [
    new RegExp(
      `(["']?${SECRET_NAME}["']?\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|(?!${escapeForRegExp(REDACTED)})[^\\s"',;&}]+)`,
      'gi',
    ),
    '',
  ],
];

/**
 * Free text with every credential-shaped value replaced: the password or token of a URL's user
 * info, secret query parameters, `Bearer`/`Basic` credentials and `password=…`-style pairs.
 */
export function redactText(text: string): string {
  let result = text;
  for (const [pattern, replacement] of PATTERNS) {
    result =
      replacement === ''
        ? result.replace(pattern, (_match, name: string, value: string) => `${name}${requote(value)}`)
        : result.replace(pattern, replacement);
  }
  return result;
}

/** The redaction marker, in the quotes the value had. */
function requote(value: string): string {
  const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
  return `${quote}${REDACTED}${quote}`;
}

/**
 * `redactSecrets` plus `redactText` on every string, for log records: secrets under secret keys and
 * secrets inside any string (a message, a URL under an innocent key such as `upstreams`).
 */
export function redactForLog<T>(value: T): T {
  const walk = (node: unknown, key: string | undefined, depth: number): unknown => {
    if (key !== undefined && isSecretKey(key) && node !== undefined && node !== null && node !== '') {
      return REDACTED;
    }
    if (typeof node === 'string') return redactText(node);
    if (depth > 20) return node;
    if (Array.isArray(node)) return node.map((item) => walk(item, undefined, depth + 1));
    if (isPlainObject(node)) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k, depth + 1)]));
    }
    return node;
  };
  return walk(value, undefined, 0) as T;
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
