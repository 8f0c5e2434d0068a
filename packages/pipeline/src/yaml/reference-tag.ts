import type { SourceLocation } from './source-map.js';

/**
 * GitLab's `!reference [job, key, ...]`: a path into the merged configuration, resolved after
 * `extends` (see `resolve-references.ts`). Kept as its own class so that merging and validation can
 * tell it apart from a plain list.
 */
export class ReferenceTag {
  constructor(
    readonly path: readonly string[],
    readonly location: SourceLocation | undefined,
  ) {}

  toString(): string {
    return `!reference [${this.path.join(', ')}]`;
  }
}

export function isReferenceTag(value: unknown): value is ReferenceTag {
  return value instanceof ReferenceTag;
}
