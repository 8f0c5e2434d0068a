import { z } from 'zod';

/**
 * Walks the zod schema by key path, seeing through defaults, optionals, transforms and arrays.
 * Used to name the keys a table accepts (for did-you-mean) and to find unit-tagged fields.
 */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodOptional
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      // `preprocess` puts the transform first and the real schema after it; `transform` the reverse.
      current = (current.in instanceof z.ZodTransform ? current.out : current.in) as z.ZodType;
    } else {
      return current;
    }
  }
}

/** The schema nodes reachable at `path`; a discriminated union contributes every option. */
export function schemasAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  let nodes: z.ZodType[] = [root];
  for (const segment of path) {
    nodes = nodes.flatMap((node) => childSchemas(unwrap(node), segment));
  }
  return nodes;
}

function childSchemas(node: z.ZodType, segment: PropertyKey): z.ZodType[] {
  if (node instanceof z.ZodObject) {
    const child = (node.shape as Record<string, z.ZodType>)[String(segment)];
    return child ? [child] : [];
  }
  if (node instanceof z.ZodArray && typeof segment === 'number') return [node.element as z.ZodType];
  // A table of named tables (`[runners.NAME]`, `[jobs."name"]`): every key has the value's schema.
  if (node instanceof z.ZodRecord) return [node.valueType as z.ZodType];
  if (node instanceof z.ZodUnion) {
    return (node.options as z.ZodType[]).flatMap((option) => childSchemas(unwrap(option), segment));
  }
  return [];
}

/**
 * The keys a table at `path` accepts. For a discriminated table, `input` (the table as written)
 * narrows this to the option its discriminator selects, e.g. only `driver` for `driver = "memory"`.
 */
export function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[], input?: unknown): string[] {
  const keys = new Set<string>();
  for (const object of tableOptionsAt(root, path, input)) {
    for (const key of Object.keys(object.shape)) keys.add(key);
  }
  return [...keys];
}

/** For a discriminated table: the discriminator values (`field = "value"`) whose option accepts `key`. */
export function optionsAccepting(root: z.ZodType, path: readonly PropertyKey[], key: string): string[] {
  return tableOptionsAt(root, path).flatMap((object) => {
    const shape = object.shape as Record<string, z.ZodType>;
    if (!(key in shape)) return [];
    return Object.entries(shape).flatMap(([field, schema]) =>
      schema instanceof z.ZodLiteral ? [`${field} = ${JSON.stringify([...schema.values][0])}`] : [],
    );
  });
}

function tableOptionsAt(root: z.ZodType, path: readonly PropertyKey[], input?: unknown): z.ZodObject[] {
  return schemasAt(root, path).flatMap((node) => {
    const inner = unwrap(node);
    const options = inner instanceof z.ZodUnion ? (inner.options as z.ZodType[]).map(unwrap) : [inner];
    const objects = options.filter((option): option is z.ZodObject => option instanceof z.ZodObject);
    if (objects.length < 2 || typeof input !== 'object' || input === null) return objects;
    const selected = objects.filter((object) => selects(object, input as Record<string, unknown>));
    return selected.length > 0 ? selected : objects;
  });
}

/** Whether every literal field of `object` (its discriminator) has that value in `input`. */
function selects(object: z.ZodObject, input: Record<string, unknown>): boolean {
  return Object.entries(object.shape as Record<string, z.ZodType>).every(
    ([field, schema]) => !(schema instanceof z.ZodLiteral) || schema.values.has(input[field] as never),
  );
}

/** Calls `visit` for every object field of the schema, with its key path (arrays appear as `[]`). */
export function visitFields(
  root: z.ZodType,
  visit: (path: readonly string[], schema: z.ZodType) => void,
  prefix: readonly string[] = [],
): void {
  const node = unwrap(root);
  const objects = node instanceof z.ZodUnion ? (node.options as z.ZodType[]).map(unwrap) : [node];
  for (const object of objects) {
    if (object instanceof z.ZodArray) {
      visitFields(object.element as z.ZodType, visit, [...prefix, '[]']);
      continue;
    }
    if (!(object instanceof z.ZodObject)) continue;
    for (const [key, child] of Object.entries(object.shape as Record<string, z.ZodType>)) {
      visit([...prefix, key], child);
      visitFields(child, visit, [...prefix, key]);
    }
  }
}
