/** Where a value came from: a file relative to the project root, 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

interface NodeMeta {
  readonly location: SourceLocation;
  /** For a mapping: where each key is written; for a sequence: where each item starts. */
  readonly entries: Map<string | number, SourceLocation>;
}

/**
 * Remembers where the mappings and sequences of a loaded YAML document were written. Plain values
 * keep no position of their own, so a value's position is looked up through the mapping or
 * sequence that holds it. One map per loaded configuration (no module-level state); objects that
 * merging creates later have no entry, and callers fall back to the nearest located parent.
 */
export class SourceMap {
  readonly #nodes = new Map<object, NodeMeta>();

  record(node: object, location: SourceLocation): Map<string | number, SourceLocation> {
    const entries = new Map<string | number, SourceLocation>();
    this.#nodes.set(node, { location, entries });
    return entries;
  }

  /** Copies the position of `from` to `to` (a merged copy that stands for the same text). */
  alias(to: object, from: object): void {
    const meta = this.#nodes.get(from);
    if (meta && !this.#nodes.has(to)) this.#nodes.set(to, meta);
  }

  locationOf(node: unknown): SourceLocation | undefined {
    return typeof node === 'object' && node !== null ? this.#nodes.get(node)?.location : undefined;
  }

  /** Where `key` of the mapping (or item `key` of the sequence) `node` is written. */
  entryLocation(node: unknown, key: string | number): SourceLocation | undefined {
    if (typeof node !== 'object' || node === null) return undefined;
    const meta = this.#nodes.get(node);
    return meta?.entries.get(key) ?? meta?.location;
  }
}

export function formatLocation(location: SourceLocation | undefined): string {
  return location ? `${location.file}:${location.line}:${location.column}` : '';
}
