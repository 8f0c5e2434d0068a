import { isYamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { RubySymbol } from '../yaml/ruby-scalars.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { Reader } from './reader.js';
import type { CacheDefinition } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const CACHE_KEYS = ['key', 'paths', 'untracked', 'unprotect', 'policy', 'when', 'fallback_keys'];
const CACHE_WHEN = ['on_success', 'on_failure', 'always'];

/** `cache:` as one mapping or a list of up to four. */
export function readCaches(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): CacheDefinition[] | undefined {
  if (value === null) return [];
  // GitLab's `Entry::Caches` composes `[config].flatten`: a list from an anchor that is itself a
  // list (`cache: [*go_cache]`) is one list of caches.
  const items = reader.flatItems(value as YamlValue, at);
  if (items.length > 4) reader.fail(keyPath, 'config has too many caches (maximum is 4)', at);
  const caches: CacheDefinition[] = [];
  items.forEach(({ item, at: itemAt }) => {
    const cache = reader.map(item, keyPath, itemAt);
    if (!cache) return;
    reader.checkKeys(cache, CACHE_KEYS, keyPath);
    const definition: Mutable<CacheDefinition> = {};
    if (cache.key !== undefined) {
      const key = cache.key;
      if (typeof key === 'string' || typeof key === 'number' || key instanceof RubySymbol) {
        const text = String(key);
        if (
          text.includes('/') ||
          /%2F/i.test(text) ||
          text === '.' ||
          (/%2E/i.test(text) && text.replace(/%2E/gi, '.') === '.')
        )
          reader.fail(
            `${keyPath}:key`,
            'config cannot contain the "/" character, nor be "." or "%2E"',
            reader.at(cache, 'key'),
          );
        definition.key = text;
      } else if (isYamlMap(key)) {
        reader.checkKeys(key, ['files', 'files_commits', 'prefix'], `${keyPath}:key`);
        const files =
          key.files === undefined
            ? undefined
            : reader.stringList(key.files, `${keyPath}:key:files`, reader.at(key, 'files'));
        const filesCommits =
          key.files_commits === undefined
            ? undefined
            : reader.stringList(
                key.files_commits,
                `${keyPath}:key:files_commits`,
                reader.at(key, 'files_commits'),
              );
        if (!files && !filesCommits)
          reader.fail(
            `${keyPath}:key`,
            'config should contain files or files_commits',
            reader.at(cache, 'key'),
          );
        if ((files?.length ?? 0) > 2 || (filesCommits?.length ?? 0) > 2)
          reader.fail(
            `${keyPath}:key:files`,
            'config has too many items (maximum is 2)',
            reader.at(cache, 'key'),
          );
        const prefix =
          key.prefix === undefined
            ? undefined
            : reader.text(key.prefix, `${keyPath}:key:prefix`, reader.at(key, 'prefix'));
        definition.key = {
          ...(files ? { files } : {}),
          ...(filesCommits ? { filesCommits } : {}),
          ...(prefix !== undefined ? { prefix } : {}),
        };
      } else
        reader.fail(
          `${keyPath}:key`,
          'config should be a hash, a string or a symbol',
          reader.at(cache, 'key'),
        );
    }
    if (cache.paths !== undefined)
      definition.paths = reader.stringList(cache.paths, `${keyPath}:paths`, reader.at(cache, 'paths'));
    if (cache.untracked !== undefined)
      definition.untracked = reader.boolean(
        cache.untracked,
        `${keyPath}:untracked`,
        reader.at(cache, 'untracked'),
      );
    if (cache.unprotect !== undefined)
      definition.unprotect = reader.boolean(
        cache.unprotect,
        `${keyPath}:unprotect`,
        reader.at(cache, 'unprotect'),
      );
    if (cache.policy !== undefined) {
      const policy = reader.string(cache.policy, `${keyPath}:policy`, reader.at(cache, 'policy'));
      if (policy !== undefined && !['pull-push', 'pull', 'push'].includes(policy) && !policy.includes('$'))
        reader.fail(
          `${keyPath}:policy`,
          'should be pull-push, push, pull, or a variable',
          reader.at(cache, 'policy'),
        );
      else definition.policy = policy;
    }
    if (cache.when !== undefined) {
      if (typeof cache.when === 'string' && CACHE_WHEN.includes(cache.when))
        definition.when = cache.when as CacheDefinition['when'];
      else
        reader.fail(
          `${keyPath}:when`,
          'config should be one of on_success, on_failure or always',
          reader.at(cache, 'when'),
        );
    }
    if (cache.fallback_keys !== undefined) {
      const keys = reader.stringList(
        cache.fallback_keys,
        `${keyPath}:fallback_keys`,
        reader.at(cache, 'fallback_keys'),
      );
      if (keys && keys.length > 5)
        reader.fail(
          `${keyPath}:fallback_keys`,
          'config has too many keys (maximum is 5)',
          reader.at(cache, 'fallback_keys'),
        );
      if (keys) definition.fallbackKeys = keys;
    }
    caches.push(definition);
  });
  return caches;
}
