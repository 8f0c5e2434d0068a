import { LineCounter } from 'yaml';
import { keyName } from './psych-scalar.js';
import { ScalarProblem } from './ruby-scalars.js';
import type { ComposedYaml, YamlMapNode, YamlNode, YamlPair, YamlSeqNode } from './yaml-node.js';
import { createPlainScalarResolver, type PlainScalarResolver, ScalarResolveError } from './yaml11-schema.js';

/**
 * Composes the plainest YAML, line by line, for the bulk of a large CI configuration: one document
 * of block mappings and sequences (compact `- key: value` items included) whose scalars are plain,
 * or single-line quoted without escapes, with one-line flow collections, anchors, aliases, `<<`
 * and `!reference [...]`. It reads such text several times faster than js-yaml's event parser
 * (planning 500 jobs spent a fifth of its time there). Anything else returns undefined and goes to
 * `composeFast`: block scalars (`|`, `>`), escapes, multi-line scalars or flow collections, quoted
 * or unusual keys, tabs, CRs, document markers, and everything that is not valid YAML, so that
 * errors keep the reference's messages. Values and offsets are `composeFast`'s (and the `yaml`
 * package's); `compose-fast.test.ts` compares all three.
 */
export function composeLines(text: string): ComposedYaml | undefined {
  if (UNSUPPORTED.test(text)) return undefined;
  try {
    const root = new LineComposer(text, createPlainScalarResolver()).document();
    const lineCounter = new LineCounter();
    lineCounter.addNewLine(0);
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1))
      lineCounter.addNewLine(index + 1);
    return { documents: [root], lineCounter };
  } catch (error) {
    if (error instanceof OutsideLines || error instanceof ScalarResolveError) return undefined;
    throw error;
  }
}

/** Tabs, CRs, a byte order mark, non-printables, lone surrogates, a document marker or a directive. */
const UNSUPPORTED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  /[\t\r\uFEFF\uFFFE\uFFFF\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|^(?:---|\.\.\.)(?:[ \n]|$)|^%/m;

/** Characters a plain scalar or key may not start with (the indicators `[`/`{`/quotes/`*`/`&`/`!` are read apart). */
const INDICATOR = new Set([...'-?:,[]{}#&*!|>\'"%@`']);
/** Characters that end a plain scalar inside a flow collection (`:` is then a pair's or left). */
const FLOW_END = new Set([...',[]{}:']);
/** Characters a plain key is not read with here (valid YAML keys with them go to the other readers). */
const KEY_STOP = new Set([...',[]{}#&*!|>\'"%@`']);
const MAX_KEY_LENGTH = 1000;
const OPEN = Symbol('open anchor');

class OutsideLines extends Error {
  override readonly name = 'OutsideLines';
}

const outside = (): never => {
  throw new OutsideLines();
};

class LineComposer {
  /** Start of the current line's content (after its indentation) and its indentation. */
  #position = 0;
  #indent = 0;
  #anchors = new Map<string, YamlNode | typeof OPEN>();

  constructor(
    private readonly text: string,
    private readonly scalars: PlainScalarResolver,
  ) {}

  document(): YamlNode {
    this.nextContentLine(0);
    if (this.#position >= this.text.length || this.#indent !== 0) outside();
    const root = this.block(0, undefined);
    if (this.#position < this.text.length) outside();
    return root;
  }

  /** Moves to the first line at or after `from` with content; sets position and indentation. */
  private nextContentLine(from: number): void {
    const { text } = this;
    let start = from;
    while (start < text.length) {
      let content = start;
      while (text.charCodeAt(content) === 32) content++;
      const end = text.indexOf('\n', content);
      const lineEnd = end === -1 ? text.length : end;
      if (content < lineEnd && text[content] !== '#') {
        this.#position = content;
        this.#indent = content - start;
        return;
      }
      start = lineEnd + 1;
    }
    this.#position = text.length;
    this.#indent = -1;
  }

  private lineEnd(from: number): number {
    const end = this.text.indexOf('\n', from);
    return end === -1 ? this.text.length : end;
  }

  /** A block mapping or sequence starting at the current position, at column `column`. */
  private block(column: number, anchor: string | undefined): YamlNode {
    const node = this.isItem(this.#position) ? this.sequence(column) : this.mapping(column);
    if (anchor !== undefined) this.#anchors.set(anchor, node);
    return node;
  }

  private isItem(at: number): boolean {
    const next = this.text.charCodeAt(at + 1);
    return this.text[at] === '-' && (next === 32 || next === 10 || Number.isNaN(next));
  }

  private sequence(column: number): YamlSeqNode {
    const items: YamlNode[] = [];
    const node: YamlSeqNode = { kind: 'seq', offset: this.#position, reference: false, items, flow: false };
    while (this.#indent === column && this.isItem(this.#position)) {
      let content = this.#position + 1;
      while (this.text.charCodeAt(content) === 32) content++;
      const end = this.lineEnd(content);
      if (content >= end || this.text[content] === '#') {
        // The item's node starts on a later line.
        this.nextContentLine(end + 1);
        if (this.#indent <= column) outside();
        items.push(this.block(this.#indent, undefined));
      } else if (this.isItem(content)) {
        outside();
      } else if (this.keyEnd(content, end) !== -1) {
        // A compact mapping (`- key: value`): its keys line up with the first one.
        this.#position = content;
        this.#indent = content - this.lineStart(content);
        items.push(this.mapping(this.#indent));
      } else {
        items.push(this.inlineOrBlock(content, end, column));
      }
      if (this.#indent > column) outside();
    }
    return node;
  }

  private lineStart(at: number): number {
    return this.text.lastIndexOf('\n', at - 1) + 1;
  }

  private mapping(column: number): YamlMapNode {
    const pairs: YamlPair[] = [];
    const node: YamlMapNode = { kind: 'map', offset: this.#position, pairs, flow: false };
    while (this.#indent === column) {
      const keyStart = this.#position;
      const end = this.lineEnd(keyStart);
      const colon = this.keyEnd(keyStart, end);
      if (colon === -1) outside();
      const raw = this.scalars.resolve(this.text.slice(keyStart, colon));
      let content = colon + 1;
      while (this.text.charCodeAt(content) === 32) content++;
      pairs.push({
        merge: raw === '<<',
        name: keyName(raw),
        ...(raw instanceof ScalarProblem ? { problem: raw.message } : {}),
        keyOffset: keyStart,
        plainKey: this.text.slice(keyStart, colon),
        value: this.inlineOrBlock(content, end, column),
      });
      if (this.#indent > column) outside();
    }
    return node;
  }

  /** The offset of the `:` ending a plain key that starts at `start`, or -1 when the line has none. */
  private keyEnd(start: number, end: number): number {
    const { text } = this;
    if (INDICATOR.has(text[start]!)) return -1;
    for (let index = start; index < end; index++) {
      const code = text.charCodeAt(index);
      if (code === 58) {
        const next = text.charCodeAt(index + 1);
        if (index + 1 === end || next === 32) {
          if (text.charCodeAt(index - 1) === 32 || index - start > MAX_KEY_LENGTH) outside();
          return index;
        }
      } else if (code === 35 && text.charCodeAt(index - 1) === 32) return -1;
      else if (KEY_STOP.has(text[index]!)) return -1;
    }
    return -1;
  }

  /**
   * A value after `key:` or `- `: on the same line (from `content` to `end`), or, when the line ends
   * there, the block below it. Leaves the position at the next content line.
   */
  private inlineOrBlock(content: number, end: number, column: number): YamlNode {
    const { text } = this;
    let anchor: string | undefined;
    if (text[content] === '&') {
      let nameEnd = content + 1;
      while (nameEnd < end && text.charCodeAt(nameEnd) !== 32) nameEnd++;
      anchor = text.slice(content + 1, nameEnd);
      if (!/^[A-Za-z0-9_-]+$/.test(anchor)) outside();
      this.#anchors.set(anchor, OPEN);
      content = nameEnd;
      while (text.charCodeAt(content) === 32) content++;
    }
    if (content >= end || text[content] === '#') {
      this.nextContentLine(end + 1);
      const nested =
        this.#indent > column || (this.#indent === column && this.isItem(this.#position) && !anchor);
      if (!nested) {
        if (anchor !== undefined) outside();
        return { kind: 'scalar', offset: -1, raw: this.scalars.resolve(''), source: '', plain: true };
      }
      return this.block(this.#indent, anchor);
    }
    const cursor = { at: content };
    const node = this.inline(cursor, end, false);
    this.comment(cursor.at, end);
    if (anchor !== undefined) this.#anchors.set(anchor, node);
    this.nextContentLine(end + 1);
    return node;
  }

  /** Only spaces and a comment may follow a value on its line. */
  private comment(from: number, end: number): void {
    let index = from;
    while (this.text.charCodeAt(index) === 32) index++;
    if (index < end && !(this.text[index] === '#' && index > from)) outside();
  }

  /** A node on one line: alias, `!reference [...]`, flow collection, quoted or plain scalar. */
  private inline(cursor: { at: number }, end: number, flow: boolean): YamlNode {
    const { text } = this;
    const start = cursor.at;
    const first = text[start]!;
    if (first === '*') {
      let nameEnd = start + 1;
      while (nameEnd < end && text.charCodeAt(nameEnd) !== 32 && !(flow && FLOW_END.has(text[nameEnd]!)))
        nameEnd++;
      const name = text.slice(start + 1, nameEnd);
      const target = this.#anchors.get(name);
      if (!/^[A-Za-z0-9_-]+$/.test(name) || target === undefined || target === OPEN) outside();
      cursor.at = nameEnd;
      return { kind: 'alias', offset: start, name, target: () => target as YamlNode };
    }
    if (first === '!') {
      if (!text.startsWith('!reference [', start)) outside();
      cursor.at = start + '!reference '.length;
      const node = this.flowCollection(cursor, end);
      return { ...(node as YamlSeqNode), reference: true };
    }
    if (first === '[' || first === '{') return this.flowCollection(cursor, end);
    if (first === '"' || first === "'") {
      const close = text.indexOf(first, start + 1);
      if (close === -1 || close >= end || (first === "'" && text[close + 1] === "'")) outside();
      cursor.at = close + 1;
      const source = text.slice(start + 1, close);
      if (first === '"' && source.includes('\\')) outside();
      return { kind: 'scalar', offset: start, raw: source, source, plain: false };
    }
    if (INDICATOR.has(first)) {
      const next = text.charCodeAt(start + 1);
      if (first !== '-' || next === 32 || start + 1 >= end) outside();
    }
    let last = start;
    let index = start;
    for (; index < end; index++) {
      const code = text.charCodeAt(index);
      if (code === 32) {
        if (text.charCodeAt(index + 1) === 35) break;
        continue;
      }
      if (flow && FLOW_END.has(text[index]!)) break;
      if (code === 58 && (index + 1 === end || text.charCodeAt(index + 1) === 32)) outside();
      last = index + 1;
    }
    cursor.at = last;
    const source = text.slice(start, last);
    return { kind: 'scalar', offset: start, raw: this.scalars.resolve(source), source, plain: true };
  }

  /** `[a, b]` or `{a: 1}` closed on the same line, nested ones included. */
  private flowCollection(cursor: { at: number }, end: number): YamlNode {
    const { text } = this;
    const start = cursor.at;
    const mapping = text[start] === '{';
    const close = mapping ? '}' : ']';
    const items: YamlNode[] = [];
    const pairs: YamlPair[] = [];
    let index = start + 1;
    const skip = () => {
      while (text.charCodeAt(index) === 32) index++;
    };
    skip();
    while (text[index] !== close) {
      if (index >= end || text[index] === ',' || text[index] === '#') outside();
      const entry = { at: index };
      const value = this.inline(entry, end, true);
      index = entry.at;
      skip();
      if (mapping) {
        if (value.kind !== 'scalar' || text[value.offset] === '"' || text[value.offset] === "'") outside();
        if (text[index] !== ':' || text.charCodeAt(index + 1) !== 32) outside();
        const raw = this.scalars.resolve((value as { source: string }).source);
        index += 2;
        skip();
        const inner = { at: index };
        const pairValue = this.inline(inner, end, true);
        index = inner.at;
        pairs.push({
          merge: raw === '<<',
          name: keyName(raw),
          ...(raw instanceof ScalarProblem ? { problem: raw.message } : {}),
          keyOffset: value.offset,
          plainKey: (value as { source: string }).source,
          value: pairValue,
        });
        skip();
      } else {
        if (text[index] === ':') outside();
        items.push(value);
      }
      if (text[index] === ',') {
        index++;
        skip();
      } else if (text[index] !== close) outside();
    }
    cursor.at = index + 1;
    return mapping
      ? { kind: 'map', offset: start, pairs, flow: true }
      : { kind: 'seq', offset: start, reference: false, items, flow: true };
  }
}
