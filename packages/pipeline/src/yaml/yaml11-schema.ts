import type { DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';
import { type PlainScalar, tokenizePlain } from './psych-scalar.js';

/**
 * How the `yaml` package parses a CI file's structure: YAML 1.1, duplicate keys allowed (the last
 * wins), `!reference` kept as a tagged sequence. Its merging and its plain-scalar resolution are
 * not used: `compose-reference.ts` resolves plain scalars with Psych's rules (`tokenizePlain`) and
 * the converter merges `<<` keys as Psych does.
 */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  uniqueKeys: false,
  merge: false,
  prettyErrors: false,
  customTags: (tags) => [
    ...tags,
    { tag: '!reference', collection: 'seq', default: false, resolve: (value: unknown) => value },
  ],
};

/** Kept for the readers' fallback contract: thrown where a fast reader leaves a scalar to the reference. */
export class ScalarResolveError extends Error {
  override readonly name = 'ScalarResolveError';
}

export interface PlainScalarResolver {
  /** What GitLab's Psych makes of an untagged plain scalar (`tokenizePlain`), memoized. */
  resolve(text: string): PlainScalar;
}

/**
 * One resolver per read: the same few texts (`true`, `echo`, stage names) recur in every file, and
 * Psych's rules are a chain of regular expressions.
 */
export function createPlainScalarResolver(): PlainScalarResolver {
  const seen = new Map<string, PlainScalar>();
  return {
    resolve(text) {
      let value = seen.get(text);
      if (value === undefined && !seen.has(text)) {
        value = tokenizePlain(text);
        if (seen.size < 10_000) seen.set(text, value);
      }
      return value as PlainScalar;
    },
  };
}
