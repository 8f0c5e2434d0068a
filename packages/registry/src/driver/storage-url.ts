import os from 'node:os';
import nodePath from 'node:path';
import { configSchema, type Logger, type StorageConfig } from '@glci/config';
import { createStorageDriver } from './create-driver.js';
import type { StorageDriver } from './storage-driver.js';

/** A `--storage` value that is not a storage location glci understands. */
export class StorageUrlError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`invalid storage location ${JSON.stringify(redactUrl(url))}: ${reason}`);
    this.name = new.target.name;
  }
}

const S3_QUERY_KEYS = new Set([
  'endpoint',
  'region',
  'path_style',
  'insecure',
  'redirect',
  'sse',
  'kms_key_id',
  'session_token',
  'local_cache_dir',
  'local_cache_max_size',
]);
const BOOLEAN_KEYS = new Set(['path_style', 'insecure', 'redirect']);

/**
 * The `[registry.storage]` section a `glci registry serve --storage` value names:
 *
 * - `s3://bucket[/prefix][?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true
 *   &insecure=true&redirect=true&sse=aws:kms&kms_key_id=...]`: the S3 driver. Credentials come
 *   from the AWS default chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, shared files, roles)
 *   or from `s3://KEY:SECRET@bucket/...` (visible in `ps`: prefer the environment).
 *   `local_cache_dir=DIR[&local_cache_max_size=10GB]` is the node-local blob cache
 *   (`local_cache = { dir, max_size }`; a relative DIR is relative to `cwd`).
 * - `memory:` (or `memory://`): the in-memory driver.
 * - `file:///dir`, or any other value taken as a directory (`~` and relative paths resolved): the
 *   filesystem driver.
 *
 * The result is validated by the same schema as the config file.
 */
export function parseStorageUrl(value: string, options: { cwd?: string; home?: string } = {}): StorageConfig {
  const trimmed = value.trim();
  if (trimmed === '') throw new StorageUrlError(value, 'empty');
  let section: Record<string, unknown>;
  if (/^s3:\/\//i.test(trimmed)) {
    section = s3Section(trimmed, options);
  } else if (/^memory:(\/\/)?$/i.test(trimmed)) {
    section = { driver: 'memory' };
  } else if (/^file:\/\//i.test(trimmed)) {
    section = { driver: 'filesystem', root: decodeURIComponent(new URL(trimmed).pathname) };
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new StorageUrlError(value, 'expected s3://bucket/prefix, memory:, file:///dir or a directory');
  } else {
    const home = options.home ?? os.homedir();
    const expanded = trimmed === '~' ? home : trimmed.replace(/^~(?=\/)/, home);
    section = { driver: 'filesystem', root: nodePath.resolve(options.cwd ?? process.cwd(), expanded) };
  }
  const parsed = configSchema.safeParse({ registry: { storage: section } });
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((issue) => {
      const key = issue.path.slice(2).join('.');
      return key ? `${key}: ${issue.message}` : issue.message;
    });
    throw new StorageUrlError(value, reasons.join('; '));
  }
  return parsed.data.registry.storage;
}

/**
 * The driver a `--storage` value names (`parseStorageUrl` + `createStorageDriver`). The S3 driver
 * loads the AWS SDK on first use.
 */
export function createStorageDriverFromUrl(
  value: string,
  options: { logger?: Logger; cwd?: string; home?: string } = {},
): StorageDriver {
  const config = parseStorageUrl(value, {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.home !== undefined ? { home: options.home } : {}),
  });
  return createStorageDriver(config, options.logger ? { logger: options.logger } : {});
}

function s3Section(value: string, options: { cwd?: string; home?: string }): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StorageUrlError(value, 'not a URL');
  }
  if (url.hostname === '') throw new StorageUrlError(value, 'no bucket: expected s3://bucket/prefix');
  const section: Record<string, unknown> = {
    driver: 's3',
    bucket: url.hostname,
    prefix: decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, ''),
  };
  if (url.username !== '') section.access_key_id = decodeURIComponent(url.username);
  if (url.password !== '') section.secret_access_key = decodeURIComponent(url.password);
  for (const [key, raw] of url.searchParams) {
    if (!S3_QUERY_KEYS.has(key)) {
      throw new StorageUrlError(
        value,
        `unknown option ${JSON.stringify(key)} (known: ${[...S3_QUERY_KEYS].join(', ')})`,
      );
    }
    if (key === 'local_cache_dir') {
      const home = options.home ?? os.homedir();
      const expanded = raw === '~' ? home : raw.replace(/^~(?=\/)/, home);
      section.local_cache = {
        ...(section.local_cache as object),
        dir: nodePath.resolve(options.cwd ?? process.cwd(), expanded),
      };
    } else if (key === 'local_cache_max_size') {
      section.local_cache = { ...(section.local_cache as object), max_size: raw };
    } else if (BOOLEAN_KEYS.has(key)) {
      if (!/^(true|false|1|0)$/.test(raw)) throw new StorageUrlError(value, `${key} must be true or false`);
      section[key] = raw === 'true' || raw === '1';
    } else {
      section[key] = raw;
    }
  }
  const cache = section.local_cache as { dir?: string } | undefined;
  if (cache && cache.dir === undefined) {
    throw new StorageUrlError(value, 'local_cache_max_size needs local_cache_dir');
  }
  return section;
}

/** The URL with any password and session token replaced, for error messages. */
function redactUrl(value: string): string {
  return value
    .replace(/(s3:\/\/[^:/@]*:)[^@/]*@/i, '$1<redacted>@')
    .replace(/(session_token=)[^&]*/i, '$1<redacted>');
}
