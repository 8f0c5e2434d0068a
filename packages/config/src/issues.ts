import type { z } from 'zod';
import { z as zod } from 'zod';
import { didYouMean } from './did-you-mean.js';
import type { ConfigIssue } from './errors.js';
import { formatKeyPath } from './errors.js';
import { knownKeysAt, optionsAccepting, schemasAt, unwrap } from './schema-walk.js';

type ZodIssue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a table',
  array: 'an array',
};

/** Describes a TOML value the way the user wrote it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  if (typeof value === 'object' && value !== null) return 'a table';
  return String(value);
}

/** Turns zod's issues into messages that name the key and say what was expected. */
export function toConfigIssues(
  issues: readonly ZodIssue[],
  schema: z.ZodType,
  file: string | undefined,
): ConfigIssue[] {
  return issues.flatMap((issue) => toConfigIssue(issue, schema, file));
}

function toConfigIssue(issue: ZodIssue, schema: z.ZodType, file: string | undefined): ConfigIssue[] {
  const key = formatKeyPath(issue.path);
  const got = 'input' in issue ? `, got ${describeValue(issue.input)}` : '';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const input = 'input' in issue ? issue.input : undefined;
      const known = knownKeysAt(schema, issue.path, input);
      return issue.keys.map((unknownKey) => {
        const keyPath = formatKeyPath([...issue.path, unknownKey]);
        // A key that belongs to another option of a discriminated table, e.g. `root` with driver = "memory".
        const elsewhere = optionsAccepting(schema, issue.path, unknownKey);
        if (elsewhere.length > 0) {
          return { file, key: keyPath, message: `is only used with ${elsewhere.join(' or ')}` };
        }
        const suggestion = didYouMean(unknownKey, known);
        const hint = suggestion
          ? ` (did you mean "${suggestion}"?)`
          : known.length > 0
            ? ` (known keys: ${known.join(', ')})`
            : '';
        return { file, key: keyPath, message: `unknown key${hint}` };
      });
    }
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if ('input' in issue && issue.input === undefined) {
        return [{ file, key, message: `is required (expected ${expected})` }];
      }
      return [{ file, key, message: `expected ${expected}${got}` }];
    }
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const relation = issue.code === 'too_big' ? 'at most' : 'at least';
      const exclusive = issue.inclusive === false ? ` (exclusive)` : '';
      if (issue.origin === 'array' || issue.origin === 'string') {
        const unit = issue.origin === 'array' ? 'entries' : 'characters';
        return [{ file, key, message: `must have ${relation} ${String(bound)} ${unit}${got}` }];
      }
      return [{ file, key, message: `must be ${relation} ${String(bound)}${exclusive}${got}` }];
    }
    case 'not_multiple_of':
      return [{ file, key, message: `expected a whole number${got}` }];
    case 'invalid_value':
      return [
        {
          file,
          key,
          message: `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}${got}`,
        },
      ];
    case 'invalid_union': {
      if (issue.errors.length === 0) {
        // A discriminated union whose discriminator matched no option: name the accepted values.
        const field = String(issue.path.at(-1) ?? '');
        const accepted = discriminatorValues(schema, issue.path.slice(0, -1), field);
        const input =
          'input' in issue ? (issue.input as Record<string, unknown> | undefined)?.[field] : undefined;
        return [{ file, key, message: `expected ${accepted.join(' or ')}, got ${describeValue(input)}` }];
      }
      const expected = [
        ...new Set(
          issue.errors.flatMap((branch) =>
            branch
              .filter((inner) => inner.code === 'invalid_type')
              .map((inner) => TYPE_NAMES[inner.expected]),
          ),
        ),
      ].filter(Boolean);
      if (expected.length > 0) return [{ file, key, message: `expected ${expected.join(' or ')}${got}` }];
      return issue.errors.flatMap((branch) =>
        branch.flatMap((inner) =>
          toConfigIssue({ ...inner, path: [...issue.path, ...inner.path] } as ZodIssue, schema, file),
        ),
      );
    }
    case 'invalid_key': {
      // A record's key (a `[runners.NAME]` name, a project path): the key's own refinement says why.
      const reasons = [...new Set(issue.issues.map((inner) => inner.message))].join('; ');
      return [{ file, key, message: `${reasons}, got ${describeValue(issue.path.at(-1))}` }];
    }
    case 'custom':
      // Unit parse errors already quote the value; refinements (host names, bind addresses) do not.
      return [{ file, key, message: issue.params?.quotesInput ? issue.message : `${issue.message}${got}` }];
    default:
      return [{ file, key, message: `${issue.message}${got}` }];
  }
}

function discriminatorValues(schema: z.ZodType, path: readonly PropertyKey[], field: string): string[] {
  const values: string[] = [];
  for (const node of schemasAt(schema, path)) {
    const union = unwrap(node);
    if (!(union instanceof zod.ZodUnion)) continue;
    for (const option of union.options as z.ZodType[]) {
      const object = unwrap(option);
      const literal =
        object instanceof zod.ZodObject ? (object.shape as Record<string, z.ZodType>)[field] : undefined;
      if (literal instanceof zod.ZodLiteral)
        values.push(...[...literal.values].map((value) => JSON.stringify(value)));
    }
  }
  return values;
}
