import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type ParsedNode,
  parseAllDocuments,
  type Scalar,
} from 'yaml';
import { IssueCollector } from '../errors.js';
import { ReferenceTag } from './reference-tag.js';
import type { SourceLocation, SourceMap } from './source-map.js';

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
 */
export function loadYamlDocuments(text: string, file: string, sourceMap: SourceMap): YamlValue[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: false,
    merge: true,
    lineCounter,
    prettyErrors: false,
    customTags: (tags) => [
      ...tags,
      { tag: '!reference', collection: 'seq', default: false, resolve: (value: unknown) => value },
    ],
  });
  const issues = new IssueCollector();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const list = Array.isArray(documents) ? documents : [];
  for (const document of list) {
    for (const error of document.errors) {
      issues.add('', `invalid YAML: ${firstLine(error.message)}`, at(error.pos[0]));
    }
  }
  issues.throwIfAny();
  const budget = { nodes: 0 };
  return list.map((document) => {
    const converter = new Converter(document, sourceMap, at, budget, issues);
    const value = converter.convert(document.contents as ParsedNode | null);
    issues.throwIfAny();
    return value;
  });
}

class Converter {
  constructor(
    private readonly document: Document,
    private readonly sourceMap: SourceMap,
    private readonly at: (offset: number) => SourceLocation,
    private readonly budget: { nodes: number },
    private readonly issues: IssueCollector,
  ) {}

  convert(node: Node | null | undefined, depth = 0): YamlValue {
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
    if (isAlias(node)) return this.convert(node.resolve(this.document) as Node | undefined, depth + 1);
    if (isScalar(node)) return scalarValue(node);
    if (isSeq(node)) {
      if (node.tag === '!reference') return this.reference(node.items as Node[], node);
      const list: YamlValue[] = [];
      const entries = this.sourceMap.record(list, this.here(node));
      node.items.forEach((item, index) => {
        entries.set(index, this.here(item as Node));
        list.push(this.convert(item as Node, depth + 1));
      });
      return list;
    }
    if (isMap(node)) {
      const map: YamlMap = {};
      const entries = this.sourceMap.record(map, this.here(node));
      const explicit = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key) && typeof key.value === 'symbol') {
          this.mergeInto(map, entries, explicit, pair.value as Node, depth);
          continue;
        }
        const name = keyName(key);
        explicit.add(name);
        entries.set(name, this.here(key ?? node));
        setKey(map, name, this.convert(pair.value as Node, depth + 1));
      }
      return map;
    }
    return null;
  }

  /** `<<: *anchor` or `<<: [*a, *b]`: keys not written explicitly come from the anchors, first wins. */
  private mergeInto(
    map: YamlMap,
    entries: Map<string | number, SourceLocation>,
    explicit: Set<string>,
    source: Node | null,
    depth: number,
  ): void {
    const sources = isSeq(source) ? (source.items as Node[]) : [source];
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

  private reference(items: Node[], node: Node): YamlValue {
    const path: string[] = [];
    for (const item of items) {
      const value = isScalar(item) ? item.value : undefined;
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

  private here(node: Node | null | undefined): SourceLocation {
    return this.at(node?.range?.[0] ?? 0);
  }
}

function scalarValue(node: Scalar): YamlValue {
  const { value } = node;
  if (value === null || value === undefined) return null;
  // Psych (Ruby) reads yes/no/on/off as booleans, but not YAML 1.1's single-letter y/n.
  if (typeof value === 'boolean') return /^[yYnN]$/.test(node.source ?? '') ? node.source! : value;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  // YAML 1.1 timestamps and binary: GitLab reads these as text.
  return node.source ?? String(value);
}

function keyName(key: Node | null): string {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return key ? String(key) : '';
}

/** Assigns without letting a `__proto__` key change the object's prototype. */
function setKey(map: YamlMap, key: string, value: YamlValue): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true });
  else map[key] = value;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

export function isYamlMap(value: unknown): value is YamlMap {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ReferenceTag)
  );
}
