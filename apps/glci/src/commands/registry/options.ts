import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger, StorageConfig } from '@glci/config';
import {
  basicAuth,
  createStorageDriver,
  HtpasswdUsers,
  parseStorageUrl,
  type RegistryAuth,
  readsAnonymous,
  type StorageDriver,
  StorageUrlError,
  tokenAuth,
} from '@glci/registry';
import { UsageError } from './usage-error.js';

/** `--listen host:port` → host and port; only loopback or an explicit address, never a hostname lookup. */
export function parseListen(value: string, option = '--listen'): { host: string; port: number } {
  const match =
    /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(value) ?? /^:?([0-9]{1,5})$/.exec(value);
  if (!match) throw new UsageError(`${option} expects host:port, got ${JSON.stringify(value)}`);
  if (match.length === 2) return { host: '127.0.0.1', port: checkPort(match[1] as string) };
  return { host: (match[1] ?? match[2]) as string, port: checkPort(match[3] as string) };
}

function checkPort(text: string): number {
  const port = Number(text);
  if (port > 65_535) throw new UsageError(`port ${port} is out of range`);
  return port;
}

export type AuthSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly file: string }
  | { readonly kind: 'token'; readonly file: string };

/** `--auth none | basic:FILE | token:FILE` (FILE: htpasswd with bcrypt hashes). */
export function parseAuthSpec(value: string): AuthSpec {
  if (value === 'none') return { kind: 'none' };
  const colon = value.indexOf(':');
  const kind = colon < 0 ? value : value.slice(0, colon);
  const file = colon < 0 ? '' : value.slice(colon + 1);
  if ((kind === 'basic' || kind === 'token') && file) return { kind, file };
  throw new UsageError(`--auth expects none, basic:FILE or token:FILE, got ${JSON.stringify(value)}`);
}

/**
 * Builds the auth hook for `serve`; `secret` signs tokens (shared by nodes with the same secret).
 * `realm` is the token endpoint's absolute URL (read when the first challenge is sent, so it can
 * come from the bound address).
 */
export async function buildAuth(
  spec: AuthSpec,
  options: { anonymousPull: boolean; secret: Uint8Array; realm?: () => string },
): Promise<RegistryAuth | undefined> {
  if (spec.kind === 'none') return undefined;
  const users = await HtpasswdUsers.load(spec.file);
  if (spec.kind === 'basic') {
    const auth = { authorize: basicAuth({ users, realm: 'glci registry' }) };
    return options.anonymousPull ? readsAnonymous(auth) : auth;
  }
  return tokenAuth({
    users,
    anonymousPull: options.anonymousPull,
    secret: options.secret,
    ...(options.realm ? { realm: options.realm } : {}),
  });
}

/**
 * The token realm `serve` announces: `--token-realm` (an http(s) URL), else the bound address
 * plus `/auth/token` — never the client's `Host` header. A wildcard `--listen` (0.0.0.0, ::) has no
 * address a client could use, so it needs `--token-realm`.
 */
export function tokenRealm(
  given: string | undefined,
  listen: { host: string },
): { fixed?: string; fromBound?: (url: string) => string } {
  if (given !== undefined) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UsageError(`--token-realm expects an http(s) URL, got ${JSON.stringify(given)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--token-realm expects an http(s) URL, got ${JSON.stringify(given)}`);
    }
    if (url.username || url.password) throw new UsageError('--token-realm must not carry credentials');
    return { fixed: url.toString() };
  }
  if (listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '') {
    throw new UsageError(
      `--auth token with --listen on every interface needs --token-realm URL: the token endpoint's address as clients reach it (e.g. https://registry.example:5000/auth/token)`,
    );
  }
  return { fromBound: (url) => `${url}/auth/token` };
}

/**
 * The shared secret that signs upload locations and tokens: `--secret-file`, else
 * `GLCI_REGISTRY_SECRET`, else `<glci home>/registry.secret`, created (mode 0600) on first use so
 * that upload sessions and tokens survive a restart. Nodes sharing a storage need the same secret.
 */
export async function loadSecret(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  glciHome: string,
): Promise<Uint8Array> {
  if (file) {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length < 32) throw new UsageError(`${file}: the secret must be at least 32 characters`);
    return new TextEncoder().encode(text);
  }
  const fromEnv = env.GLCI_REGISTRY_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32) throw new UsageError('GLCI_REGISTRY_SECRET must be at least 32 characters');
    return new TextEncoder().encode(fromEnv);
  }
  const persisted = path.join(glciHome, 'registry.secret');
  try {
    const text = (await readFile(persisted, 'utf8')).trim();
    if (text.length >= 32) return new TextEncoder().encode(text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated = randomBytes(32).toString('hex');
  await mkdir(glciHome, { recursive: true, mode: 0o700 });
  try {
    await writeFile(persisted, `${generated}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadSecret(undefined, env, glciHome);
    throw error;
  }
  return new TextEncoder().encode(generated);
}

/**
 * `--storage DIR|URL` through @glci/registry's parser: `s3://bucket/prefix?endpoint=...`,
 * `memory:`, `file:///dir` or a directory (relative to the working directory). Without `--storage`,
 * the configuration's `registry.storage`.
 */
export async function openStorage(
  value: string | undefined,
  config: StorageConfig,
  cwd: string,
  logger: Logger,
): Promise<{
  driver: StorageDriver;
  description: string;
  kind: StorageConfig['driver'];
  config: StorageConfig;
}> {
  if (value === undefined) {
    return {
      driver: createStorageDriver(config, { logger }),
      description: config.driver === 'filesystem' ? config.root : config.driver,
      kind: config.driver,
      config,
    };
  }
  let parsed: StorageConfig;
  try {
    parsed = parseStorageUrl(value, { cwd });
  } catch (error) {
    if (error instanceof StorageUrlError) throw new UsageError(`--storage: ${error.message}`);
    throw error;
  }
  const description =
    parsed.driver === 'filesystem' ? parsed.root : parsed.driver === 'memory' ? 'memory' : redactUrl(value);
  return {
    driver: createStorageDriver(parsed, { logger }),
    description,
    kind: parsed.driver,
    config: parsed,
  };
}

/** A storage URL without credentials, for messages. */
function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    url.username = '';
    url.password = '';
    for (const key of [...url.searchParams.keys()]) {
      if (/secret|password|token|key/i.test(key)) url.searchParams.set(key, 'REDACTED');
    }
    return url.toString();
  } catch {
    return '(storage URL)';
  }
}

export { UsageError } from './usage-error.js';
