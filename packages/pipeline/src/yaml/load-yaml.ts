import { IssueCollector } from '../errors.js';
import { composeFast } from './compose-fast.js';
import { composeLines } from './compose-lines.js';
import { composeReference } from './compose-reference.js';
import { ReferenceTag } from './reference-tag.js';
import type { SourceLocation, SourceMap } from './source-map.js';
import type { ComposedYaml, YamlMapNode, YamlNode, YamlSeqNode } from './yaml-node.js';

/** Values as GitLab sees them after YAML: mappings, lists, scalars and `!reference` tags. */
export type YamlValue = null | string | number | boolean | YamlValue[] | YamlMap | ReferenceTag;
export interface YamlMap {
  [key: string]: YamlValue;
}

/** Anchors expanded beyond this many nodes are refused (a "billion laughs" document). */
const MAX_ALIAS_NODES = 100_000;

/**
 * Parses a YAML stream the way GitLab's Psych does (YAML 1.1: `yes`/`on` are booleans, `0755` is
 * octal, duplicate keys keep the last), with anchors, aliases, `<<` merge keys and `!reference`.
 * Every mapping and sequence is recorded in `sourceMap` with its file:line:column. Returns one value
 * per document (a file with a `spec:` header has two). Throws `PipelineConfigError` on a syntax error.
 *
 * The line reader reads the plainest YAML, the fast front end (js-yaml's event parser) what CI
 * files are made of; anything they leave, and any document whose conversion reports a problem, is
 * read again by the `yaml` package, whose messages and positions are the reference.
 */
export function loadYamlDocuments(text: string, file: string, sourceMap: SourceMap): YamlValue[] {
  const fast = composeLines(text) ?? composeFast(text);
  if (fast) {
    const issues = new IssueCollector();
    const values = convertDocuments(fast, file, sourceMap, issues);
    if (issues.empty) return values;
  }
  const issues = new IssueCollector();
  const values = convertDocuments(composeReference(text, file), file, sourceMap, issues);
  issues.throwIfAny();
  return values;
}

/**
 * Converts composed documents to values, recording positions in `sourceMap`. Stops at the first
 * document with issues (left in `issues`). Exported for the tests that compare both front ends.
 */
export function convertDocuments(
  composed: ComposedYaml,
  file: string,
  sourceMap: SourceMap,
  issues: IssueCollector,
): YamlValue[] {
  // LineCounter.linePos's search, without its intermediate object: a location is made per key.
  const starts = composed.lineCounter.lineStarts;
  const at = (offset: number): SourceLocation => {
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (starts[middle]! < offset) low = middle + 1;
      else high = middle;
    }
    if (starts[low] === offset) return { file, line: low + 1, column: 1 };
    if (low === 0) return { file, line: 0, column: offset };
    return { file, line: low, column: offset - starts[low - 1]! + 1 };
  };
  const budget = { nodes: 0 };
  const values: YamlValue[] = [];
  for (const document of composed.documents) {
    values.push(new Converter(sourceMap, at, budget, issues).convert(document));
    if (!issues.empty) break;
  }
  return values;
}

class Converter {
  constructor(
    private readonly sourceMap: SourceMap,
    private readonly at: (offset: number) => SourceLocation,
    private readonly budget: { nodes: number },
    private readonly issues: IssueCollector,
  ) {}

  convert(node: YamlNode | null | undefined, depth = 0): YamlValue {
    if (!node) return null;
    if (++this.budget.nodes > MAX_ALIAS_NODES || depth > 200) {
      if (this.budget.nodes === MAX_ALIAS_NODES + 1 || depth === 201)
        this.issues.add(
          '',
          'the document expands to too many nodes (anchors nested too deeply)',
          this.here(node),
        );
      return null;
    }
    switch (node.kind) {
      case 'alias':
        return this.convert(node.target(), depth + 1);
      case 'scalar':
        return scalarValue(node.raw, node.source);
      case 'seq':
        return node.reference ? this.reference(node) : this.list(node, depth);
      case 'map':
        return this.map(node, depth);
    }
  }

  private list(node: YamlSeqNode, depth: number): YamlValue[] {
    const list: YamlValue[] = [];
    const entries = this.sourceMap.record(list, this.here(node));
    node.items.forEach((item, index) => {
      entries.set(index, this.here(item));
      list.push(this.convert(item, depth + 1));
    });
    return list;
  }

  private map(node: YamlMapNode, depth: number): YamlMap {
    const map: YamlMap = {};
    const entries = this.sourceMap.record(map, this.here(node));
    // Only `<<` needs to know which keys were written explicitly.
    const explicit = node.pairs.some((pair) => pair.merge) ? new Set<string>() : undefined;
    for (const pair of node.pairs) {
      if (pair.merge) {
        this.mergeInto(map, entries, explicit!, pair.value, depth);
        continue;
      }
      explicit?.add(pair.name);
      entries.set(pair.name, this.at(pair.keyOffset));
      setKey(map, pair.name, this.convert(pair.value, depth + 1));
    }
    return map;
  }

  /** `<<: *anchor` or `<<: [*a, *b]`: keys not written explicitly come from the anchors, first wins. */
  private mergeInto(
    map: YamlMap,
    entries: Map<string | number, SourceLocation>,
    explicit: Set<string>,
    source: YamlNode | null,
    depth: number,
  ): void {
    const sources = source?.kind === 'seq' ? source.items : [source];
    const merged = new Set<string>();
    for (const item of sources) {
      const value = this.convert(item, depth + 1);
      if (
        value === null ||
        typeof value !== 'object' ||
        Array.isArray(value) ||
        value instanceof ReferenceTag
      ) {
        this.issues.add(
          '',
          'merge keys (<<) take a mapping or a list of mappings',
          this.here(item ?? source),
        );
        continue;
      }
      for (const [key, inner] of Object.entries(value)) {
        if (explicit.has(key) || merged.has(key)) continue;
        merged.add(key);
        entries.set(key, this.sourceMap.entryLocation(value, key) ?? this.here(item));
        setKey(map, key, inner);
      }
    }
  }

  private reference(node: YamlSeqNode): YamlValue {
    const path: string[] = [];
    for (const item of node.items) {
      const value = item.kind === 'scalar' ? item.raw : undefined;
      if (typeof value !== 'string' && typeof value !== 'number') {
        this.issues.add(
          '',
          '!reference takes a list of keys, e.g. !reference [.setup, script]',
          this.here(item),
        );
        return null;
      }
      path.push(String(value));
    }
    if (path.length === 0) this.issues.add('', '!reference needs at least one key', this.here(node));
    return new ReferenceTag(path, this.here(node));
  }

  private here(node: YamlNode | null | undefined): SourceLocation {
    return this.at(node?.offset ?? 0);
  }
}

function scalarValue(value: unknown, source: string | undefined): YamlValue {
  if (value === null || value === undefined) return null;
  // Psych (Ruby) reads yes/no/on/off as booleans, but not YAML 1.1's single-letter y/n.
  if (typeof value === 'boolean') return /^[yYnN]$/.test(source ?? '') ? source! : value;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  // YAML 1.1 timestamps and binary: GitLab reads these as text.
  return source ?? String(value);
}

/** Assigns without letting a `__proto__` key change the object's prototype. */
function setKey(map: YamlMap, key: string, value: YamlValue): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true });
  else map[key] = value;
}

export function isYamlMap(value: unknown): value is YamlMap {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ReferenceTag)
  );
}
