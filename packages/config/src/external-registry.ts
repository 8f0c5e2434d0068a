import { ConfigError, type ConfigIssue } from './errors.js';
import type { GlciConfig } from './schema.js';

/**
 * The registry jobs push to instead of the embedded one: `[registry] url` / `username` /
 * `password` (user config only), or `glci run --registry URL --registry-user U --registry-password P`,
 * the flags winning key by key. `CI_REGISTRY` becomes its `host[:port]`.
 */
export interface ExternalRegistry {
  readonly url: string;
  /** `host[:port]`: `CI_REGISTRY`, and the prefix of `CI_REGISTRY_IMAGE`. */
  readonly host: string;
  /** Plain HTTP: Docker daemons (DinD) and BuildKit must be told to trust it (`insecure-registries`, `http = true`). */
  readonly plainHttp: boolean;
  /** Absent for a registry that takes anonymous pushes. Never logged, printed or written to disk by glci. */
  readonly credentials?: { readonly username: string; readonly password: string };
}

export interface ExternalRegistryFlags {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
}

/** Undefined when neither the config nor the flags name an external registry (the embedded one is used). */
export function resolveExternalRegistry(
  config: Pick<GlciConfig, 'registry'>,
  flags: ExternalRegistryFlags = {},
  file?: string,
): ExternalRegistry | undefined {
  const fromFlag = (flag: keyof ExternalRegistryFlags) => flags[flag] !== undefined;
  const url = flags.url ?? config.registry.url;
  const username = flags.username ?? config.registry.username;
  const password = flags.password ?? config.registry.password;
  const where = (
    flag: keyof ExternalRegistryFlags,
    key: string,
    option: string,
  ): Pick<ConfigIssue, 'file' | 'key'> =>
    fromFlag(flag) ? { file: undefined, key: option } : { file, key: `registry.${key}` };
  const issues: ConfigIssue[] = [];
  if (url === undefined) {
    if (username !== undefined || password !== undefined) {
      const flag = username !== undefined ? 'username' : 'password';
      issues.push({
        ...where(flag, flag, flag === 'username' ? '--registry-user' : '--registry-password'),
        message: 'names a login but no registry: set [registry] url (or --registry URL) too',
      });
      throw new ConfigError(issues);
    }
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // A URL may carry a login (`https://user:secret@host`): messages show it without.
  const shown = JSON.stringify(
    parsed?.username || parsed?.password
      ? withoutLogin(parsed)
      : !parsed && url.includes('@')
        ? '(a URL with a login)'
        : url,
  );
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    issues.push({
      ...where('url', 'url', '--registry'),
      message: `expected an http:// or https:// URL, got ${shown}`,
    });
  } else if (
    (parsed.pathname !== '/' && parsed.pathname !== '') ||
    parsed.search ||
    parsed.hash ||
    parsed.username
  ) {
    issues.push({
      ...where('url', 'url', '--registry'),
      message: `expected the registry's root URL such as "https://registry.corp" (no path, query or login; username and password are keys of their own), got ${shown}`,
    });
  }
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? 'username' : 'password';
    const option = missing === 'username' ? '--registry-user' : '--registry-password';
    // Name the flag to add when the registry came from the command line, else the config key.
    const anyFlag = Object.values(flags).some((value) => value !== undefined);
    issues.push({
      ...(anyFlag ? { file: undefined, key: option } : { file, key: `registry.${missing}` }),
      message: 'expected both username and password for the registry, or neither (anonymous pushes)',
    });
  }
  if (issues.length > 0 || !parsed) throw new ConfigError(issues);
  return {
    url: `${parsed.protocol}//${parsed.host}`,
    host: parsed.host,
    plainHttp: parsed.protocol === 'http:',
    ...(username !== undefined && password !== undefined ? { credentials: { username, password } } : {}),
  };
}

function withoutLogin(url: URL): string {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy.toString();
}
