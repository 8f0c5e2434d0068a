import { IssueCollector, PipelineConfigError } from '../errors.js';
import { composeFast } from './compose-fast.js';
import { composeLines } from './compose-lines.js';
import { composeReference } from './compose-reference.js';
import { indentFlowContinuations } from './flow-indent.js';
import { ReferenceTag } from './reference-tag.js';
import { type RubyFloat, RubySymbol, ScalarProblem } from './ruby-scalars.js';
import type { SourceLocation, SourceMap } from './source-map.js';
import type { ComposedYaml, YamlMapNode, YamlNode, YamlSeqNode } from './yaml-node.js';

/**
 * Values as GitLab sees them after YAML: mappings, lists, scalars and `!reference` tags. Scalars
 * have Psych's types: an Integer is a number (a bigint when it does not fit), a Float a
 * `RubyFloat`, a `:name` a `RubySymbol`.
 */
export type YamlValue =
  | null
  | string
  | number
  | bigint
  | boolean
  | RubyFloat
  | RubySymbol
  | YamlValue[]
  | YamlMap
  | ReferenceTag;
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
  let composed: ComposedYaml;
  try {
    composed = composeReference(text, file);
  } catch (error) {
    // libyaml takes flow collections whose lines are not indented past their block; both readers
    // do once they are (see `indentFlowContinuations`). Otherwise the first errors stand.
    const indented = error instanceof PipelineConfigError ? indentFlowContinuations(text) : undefined;
    if (indented === undefined) throw error;
    try {
      composed = composeLines(indented) ?? composeFast(indented) ?? composeReference(indented, file);
    } catch {
      throw error;
    }
  }
  const issues = new IssueCollector();
  const values = convertDocuments(composed, file, sourceMap, issues);
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
        if (node.raw instanceof ScalarProblem) {
          this.issues.add('', node.raw.message, this.here(node));
          return null;
        }
        return (node.raw ?? null) as YamlValue;
      case 'seq':
        return node.reference ? this.reference(node, depth) : this.list(node, depth);
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
    for (const pair of node.pairs) {
      if (pair.problem) this.issues.add('', pair.problem, this.at(pair.keyOffset));
      const value = this.convert(pair.value, depth + 1);
      if (pair.merge && this.mergeInto(map, entries, pair.value, value)) continue;
      entries.set(pair.name, this.at(pair.keyOffset));
      setKey(map, pair.name, value);
    }
    return map;
  }

  /**
   * `<<` as Psych merges it, in the order written: a mapping (or an alias of one) overrides the
   * keys before it and is overridden by the keys after it; in a list of mappings the first one
   * wins. Anything else is not merged (false): `<<` is then an ordinary key, as in GitLab.
   */
  private mergeInto(
    map: YamlMap,
    entries: Map<string | number, SourceLocation>,
    node: YamlNode | null,
    value: YamlValue,
  ): boolean {
    const sources = node?.kind === 'seq' ? (Array.isArray(value) ? value : []) : [value];
    if (!sources.every(isYamlMap)) return false;
    const merged: YamlMap = {};
    for (const source of [...sources].reverse())
      for (const [key, inner] of Object.entries(source)) setKey(merged, key, inner);
    for (const [key, inner] of Object.entries(merged)) {
      entries.set(
        key,
        this.sourceMap.entryLocation(
          sources.find((source) => Object.hasOwn(source, key)),
          key,
        ) ?? this.here(node),
      );
      setKey(map, key, inner);
    }
    return true;
  }

  /** `!reference [...]`: GitLab's tag is valid with a non-empty list of strings (`1` or `yes` are not). */
  private reference(node: YamlSeqNode, depth: number): YamlValue {
    const items = node.items.map((item) => this.convert(item, depth + 1));
    if (items.length === 0 || !items.every((item) => typeof item === 'string')) {
      this.issues.add('', `!reference ${rubyInspect(items)} is not valid`, this.here(node));
      return null;
    }
    return new ReferenceTag(items as string[], this.here(node));
  }

  private here(node: YamlNode | null | undefined): SourceLocation {
    return this.at(node?.offset ?? 0);
  }
}

/** Ruby's `inspect` of a loaded value, for GitLab's messages about `!reference`. */
export function rubyInspect(value: YamlValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(', ')}]`;
  if (value instanceof RubySymbol) return `:${value.name}`;
  if (isYamlMap(value))
    return `{${Object.entries(value)
      .map(([key, inner]) => `${JSON.stringify(key)}=>${rubyInspect(inner)}`)
      .join(', ')}}`;
  return String(value);
}

/** Assigns without letting a `__proto__` key change the object's prototype. */
function setKey(map: YamlMap, key: string, value: YamlValue): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true });
  else map[key] = value;
}

/** A mapping: a plain object (not a list, a `!reference`, a `RubyFloat` or a `RubySymbol`). */
export function isYamlMap(value: unknown): value is YamlMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
