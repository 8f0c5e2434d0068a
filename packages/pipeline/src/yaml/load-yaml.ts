import { IssueCollector, PipelineConfigError } from '../errors.js';
import { composeFast } from './compose-fast.js';
import { composeLines } from './compose-lines.js';
import { composeReference } from './compose-reference.js';
import { indentFlowContinuations } from './flow-indent.js';
import { ReferenceTag } from './reference-tag.js';
import { ScalarProblem } from './ruby-scalars.js';
import { isYamlMap, rubyInspect, type YamlMap, type YamlValue } from './yaml-value.js';

export { isYamlMap, rubyInspect, type YamlMap, type YamlValue } from './yaml-value.js';

import type { SourceLocation, SourceMap } from './source-map.js';
import type { ComposedYaml, YamlAliasNode, YamlMapNode, YamlNode, YamlSeqNode } from './yaml-node.js';

/** Anchors expanded beyond this many nodes are refused (a "billion laughs" document). */
const MAX_ALIAS_NODES = 100_000;

/**
 * Reads a CI file's YAML documents the way GitLab does: the text is cut at lines starting with
 * `---` and whitespace into at most three pieces (`MultiDocYaml`, two documents after a leading
 * marker), each piece is one document read like Psych's `safe_load` (YAML 1.1 as Psych resolves
 * it: `yes`/`on` are booleans, `0755` is octal, dates are refused, duplicate keys keep the last;
 * anchors, aliases, `<<` merge keys and `!reference`), and blank documents are dropped. Every
 * mapping and sequence is recorded in `sourceMap` with its file:line:column. Throws
 * `PipelineConfigError` on a syntax error.
 *
 * The line reader reads the plainest YAML, the fast front end (js-yaml's event parser) what CI
 * files are made of; anything they leave, and any document whose conversion reports a problem, is
 * read again by the `yaml` package, whose messages and positions are the reference.
 */
export function loadYamlDocuments(text: string, file: string, sourceMap: SourceMap): YamlValue[] {
  const values = splitDocuments(text).map((piece) => loadDocument(piece, file, sourceMap));
  if (values.length > 0 && isBlank(values[0]!)) values.shift();
  return values.filter((value) => !isBlank(value));
}

/**
 * Ruby's `text.split(/^---\s+/, 3)`; each piece after the first is prefixed with the line breaks
 * before it, so that its positions stay those of the file.
 */
function splitDocuments(text: string): string[] {
  if (!text.includes('---')) return [text];
  const marker = /^---[ \t\n\v\f\r]+/gm;
  const pieces: string[] = [];
  let start = 0;
  let lines = 0;
  for (let match = marker.exec(text); match && pieces.length < 2; match = marker.exec(text)) {
    pieces.push('\n'.repeat(lines) + text.slice(start, match.index));
    start = match.index + match[0].length;
    lines = countLines(text, start);
  }
  pieces.push('\n'.repeat(lines) + text.slice(start));
  return pieces;
}

function countLines(text: string, end: number): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < end; index = text.indexOf('\n', index + 1))
    count++;
  return count;
}

/** Whether a value reaches itself (an alias inside its own anchor's node that stayed in place). */
function containsItself(root: YamlValue): boolean {
  const open = new Set<object>();
  const done = new Set<object>();
  const visit = (value: YamlValue): boolean => {
    if (typeof value !== 'object' || value === null || !(Array.isArray(value) || isYamlMap(value)))
      return false;
    if (open.has(value)) return true;
    if (done.has(value)) return false;
    open.add(value);
    const found = (Array.isArray(value) ? value : Object.values(value)).some(visit);
    open.delete(value);
    done.add(value);
    return found;
  };
  return visit(root);
}

/** Ruby's `blank?`: nil, false, an empty or white-space string, an empty list or mapping. */
function isBlank(value: YamlValue): boolean {
  return (
    value === null ||
    value === false ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0) ||
    (isYamlMap(value) && Object.keys(value).length === 0)
  );
}

/** One piece as `safe_load` reads it: its first document (Psych ignores any after it). */
function loadDocument(text: string, file: string, sourceMap: SourceMap): YamlValue {
  // A directive must be followed by `---`, which GitLab's cut removed from the piece.
  if (text.startsWith('%') || (text.includes('\n%') && /^%/m.test(text) && !/^---/m.test(text))) {
    const line = text.split('\n').findIndex((each) => each.startsWith('%')) + 1;
    throw new PipelineConfigError([
      {
        keyPath: '',
        message: 'invalid YAML: did not find expected <document start>',
        location: { file, line, column: 1 },
      },
    ]);
  }
  const fast = composeLines(text) ?? composeFast(text);
  if (fast) {
    const issues = new IssueCollector();
    const values = convertDocuments(fast, file, sourceMap, issues, 1);
    if (issues.empty) return values[0] ?? null;
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
  const values = convertDocuments(composed, file, sourceMap, issues, 1);
  issues.throwIfAny();
  return values[0] ?? null;
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
  limit = Number.POSITIVE_INFINITY,
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
  for (const document of composed.documents.slice(0, limit)) {
    const converter = new Converter(sourceMap, at, budget, issues);
    const value = converter.convert(document);
    if (converter.cyclic && containsItself(value))
      issues.add(
        '',
        'the document contains itself through an alias, which GitLab cannot read',
        at(document?.offset ?? 0),
      );
    values.push(value);
    if (!issues.empty) break;
  }
  return values;
}

/** Psych's (libyaml's) anchor and alias names: letters, digits, `_` and `-`. */
const ANCHOR_NAME = /^[A-Za-z0-9_-]+$/;

class Converter {
  /** Each node's value, made once: an alias is the anchored node's very value, as in Psych. */
  readonly #values = new Map<YamlNode, { value: YamlValue; size: number; done: boolean }>();
  /** A `<<` value named a node still being read (only a merge of its keys may do that). */
  #mergedOpen = false;
  /** An alias named a node still being read: the value may contain itself (see `checkCycles`). */
  cyclic = false;

  constructor(
    private readonly sourceMap: SourceMap,
    private readonly at: (offset: number) => SourceLocation,
    private readonly budget: { nodes: number },
    private readonly issues: IssueCollector,
  ) {}

  convert(node: YamlNode | null | undefined, depth = 0, inFlow = false): YamlValue {
    if (!node) return null;
    if (node.problem) this.issues.add('', node.problem, this.here(node));
    if (node.kind === 'alias') return this.alias(node, false);
    if (++this.budget.nodes > MAX_ALIAS_NODES || depth > 200) return this.tooLarge(node);
    switch (node.kind) {
      case 'scalar':
        if (node.raw instanceof ScalarProblem) {
          this.issues.add('', node.raw.message, this.here(node));
          return null;
        }
        // libyaml reads `:` as a value indicator anywhere in a flow collection.
        if (inFlow && node.plain && node.source?.startsWith(':'))
          this.issues.add(
            '',
            'did not find expected node content while parsing a flow node',
            this.here(node),
          );
        return (node.raw ?? null) as YamlValue;
      case 'seq':
        return node.reference ? this.reference(node, depth) : this.list(node, depth);
      case 'map':
        return this.map(node, depth);
    }
  }

  private tooLarge(node: YamlNode): null {
    if (this.budget.nodes === MAX_ALIAS_NODES + 1 || this.budget.nodes <= MAX_ALIAS_NODES)
      this.issues.add(
        '',
        'the document expands to too many nodes (anchors nested too deeply)',
        this.here(node),
      );
    this.budget.nodes = MAX_ALIAS_NODES + 2;
    return null;
  }

  /**
   * The anchored node's value. An alias inside its own anchor's node would make the value contain
   * itself, which GitLab cannot process; only `<<` may merge the keys written so far (`merging`).
   */
  private alias(node: YamlAliasNode, merging: boolean): YamlValue {
    if (!ANCHOR_NAME.test(node.name))
      this.issues.add(
        '',
        'did not find expected alphabetic or numeric character while scanning an alias',
        this.here(node),
      );
    const target = node.target();
    if (!target) {
      this.issues.add('', `Unknown alias: ${node.name}`, this.here(node));
      return null;
    }
    const known = this.#values.get(target);
    if (known && !known.done) {
      // Psych builds the value that contains itself; whether it stays in the document (a later
      // duplicate key may replace it) is checked once the document is read.
      if (merging) this.#mergedOpen = true;
      else this.cyclic = true;
      return known.value;
    }
    if (known) {
      this.budget.nodes += known.size;
      if (this.budget.nodes > MAX_ALIAS_NODES) return this.tooLarge(node);
      return known.value;
    }
    return this.convert(target);
  }

  /** Registers a collection's value before its children, so that an alias of it finds it. */
  private begin<T extends YamlValue>(node: YamlNode, value: T): () => T {
    const entry = { value: value as YamlValue, size: 0, done: false };
    const before = this.budget.nodes;
    this.#values.set(node, entry);
    return () => {
      entry.size = this.budget.nodes - before + 1;
      entry.done = true;
      return value;
    };
  }

  private list(node: YamlSeqNode, depth: number): YamlValue[] {
    const list: YamlValue[] = [];
    const done = this.begin(node, list);
    const entries = this.sourceMap.record(list, this.here(node));
    node.items.forEach((item, index) => {
      entries.set(index, this.here(item));
      list.push(this.convert(item, depth + 1, node.flow));
    });
    return done();
  }

  private map(node: YamlMapNode, depth: number): YamlMap {
    const map: YamlMap = {};
    const done = this.begin(node, map);
    const entries = this.sourceMap.record(map, this.here(node));
    for (const pair of node.pairs) {
      if (pair.problem) this.issues.add('', pair.problem, this.at(pair.keyOffset));
      if (node.flow && pair.plainKey?.startsWith(':'))
        this.issues.add(
          '',
          'did not find expected node content while parsing a flow node',
          this.at(pair.keyOffset),
        );
      this.#mergedOpen = false;
      const value = pair.merge
        ? this.mergeSource(pair.value, depth)
        : this.convert(pair.value, depth + 1, node.flow);
      if (pair.merge && this.mergeInto(map, entries, pair.value, value)) continue;
      if (pair.merge && this.#mergedOpen) this.cyclic = true;
      entries.set(pair.name, this.at(pair.keyOffset));
      setKey(map, pair.name, value);
    }
    return done();
  }

  /** A `<<` value: aliases may name a mapping still being read (Psych merges its keys so far). */
  private mergeSource(node: YamlNode | null, depth: number): YamlValue {
    if (node?.kind === 'alias') return this.alias(node, true);
    if (node?.kind === 'seq' && !node.reference) {
      const list: YamlValue[] = [];
      const entries = this.sourceMap.record(list, this.here(node));
      node.items.forEach((item, index) => {
        entries.set(index, this.here(item));
        list.push(item.kind === 'alias' ? this.alias(item, true) : this.convert(item, depth + 2, node.flow));
      });
      return list;
    }
    return this.convert(node, depth + 1);
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
      const from = sources.find((source) => Object.hasOwn(source, key));
      entries.set(key, this.sourceMap.entryLocation(from, key) ?? this.here(node));
      setKey(map, key, inner);
    }
    return true;
  }

  /** `!reference [...]`: GitLab's tag is valid with a non-empty list of strings (`1` or `yes` are not). */
  private reference(node: YamlSeqNode, depth: number): YamlValue {
    const items = node.items.map((item) => this.convert(item, depth + 1, node.flow));
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

/** Assigns without letting a `__proto__` key change the object's prototype. */
function setKey(map: YamlMap, key: string, value: YamlValue): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true });
  else map[key] = value;
}
