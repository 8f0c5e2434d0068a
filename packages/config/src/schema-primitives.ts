import { z } from 'zod';
import { parseDuration, parseSize, type UnitParseError } from './units.js';

/** Building blocks of the configuration schema shared by its sections (`schema.ts`, `gitlab-schema.ts`). */

/** Marks a schema node so that printing can turn its number back into a human unit. */
export type UnitKind = 'size' | 'duration';
export const unitRegistry = z.registry<{ unit: UnitKind }>();

export function size(defaultValue: string) {
  const schema = z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      return parseSize(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: (error as UnitParseError).message,
        input: value,
        params: { quotesInput: true },
      });
      return z.NEVER;
    }
  });
  unitRegistry.add(schema, { unit: 'size' });
  return schema.prefault(defaultValue);
}

export function duration(defaultValue: string) {
  const schema = z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: (error as UnitParseError).message,
        input: value,
        params: { quotesInput: true },
      });
      return z.NEVER;
    }
  });
  unitRegistry.add(schema, { unit: 'duration' });
  return schema.prefault(defaultValue);
}

export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
