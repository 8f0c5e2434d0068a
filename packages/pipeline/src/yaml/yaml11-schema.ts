import {
  type CollectionTag,
  Document,
  type DocumentOptions,
  isScalar,
  type ParseOptions,
  type ScalarTag,
  type SchemaOptions,
} from 'yaml';

/**
 * How the `yaml` package reads a CI file as GitLab's Psych does: YAML 1.1 (`yes`/`on` are
 * booleans, `0755` is octal), duplicate keys allowed (the last wins), `<<` merge keys, and
 * `!reference` kept as a tagged sequence.
 */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  uniqueKeys: false,
  merge: true,
  prettyErrors: false,
  customTags: (tags) => [
    ...tags,
    { tag: '!reference', collection: 'seq', default: false, resolve: (value: unknown) => value },
  ],
};

/**
 * Only a plain scalar starting with one of these (or an empty one) can be anything but a string
 * in YAML 1.1: `~`/`null`, booleans (`y`, `yes`, `true`, `on`, `n`, `no`, `false`, `off`), numbers
 * (`+1`, `-1`, `.5`, `.inf`, `0x1f`, `1e3`, `e3`), timestamps, and the `<<` merge key. Checked
 * against the `yaml` package's own tag tests in `yaml11-schema.test.ts`.
 */
const MAY_NOT_BE_STRING = /^(?:$|[~nNyYtTfFoOeE<+\-.0-9])/;

/** Thrown when the `yaml` package would report a problem with a scalar's value. */
export class ScalarResolveError extends Error {
  override readonly name = 'ScalarResolveError';
}

export interface PlainScalarResolver {
  /**
   * What the `yaml` package resolves an untagged plain scalar to with `YAML_OPTIONS` (at a key,
   * `<<` is the merge key, a symbol). Throws `ScalarResolveError` where it would report an error.
   */
  resolve(text: string, atKey: boolean): unknown;
}

/**
 * Resolves plain scalars with the `yaml` package's YAML 1.1 tags, first matching tag wins (as its
 * composer does), so both YAML front ends agree on every value.
 */
export function createPlainScalarResolver(): PlainScalarResolver {
  const { tags, options } = YAML11_PLAIN_TAGS;
  const fail = (message: string) => {
    throw new ScalarResolveError(message);
  };
  return {
    resolve(text, atKey) {
      if (!MAY_NOT_BE_STRING.test(text)) return text;
      const tag = tags.find((each) => (each.default === true || atKey) && each.test?.test(text));
      if (!tag) return text;
      const resolved = tag.resolve(text, fail, options);
      return isScalar(resolved) ? resolved.value : resolved;
    },
  };
}

/**
 * The `yaml` package's YAML 1.1 tags for untagged plain scalars, in its order, and its options:
 * read once (a schema's tags are fixed), since every file of every plan resolves its scalars.
 */
const YAML11_PLAIN_TAGS = (() => {
  const document = new Document(null, YAML_OPTIONS);
  const tags: readonly ScalarTag[] = document.schema.tags.filter(
    (tag): tag is ScalarTag =>
      !isCollectionTag(tag) && (tag.default === true || tag.default === 'key') && tag.test !== undefined,
  );
  return { tags, options: document.options };
})();

function isCollectionTag(tag: CollectionTag | ScalarTag): tag is CollectionTag {
  return 'collection' in tag && tag.collection !== undefined;
}
