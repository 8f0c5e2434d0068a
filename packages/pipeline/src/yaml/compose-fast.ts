import {
  COLLECTION_STYLE,
  EVENT_ID,
  type Event,
  getScalarValue,
  type MappingEvent,
  parseEvents,
  SCALAR_STYLE,
  type ScalarEvent,
  type SequenceEvent,
} from 'js-yaml';
import { LineCounter } from 'yaml';
import { keyName } from './psych-scalar.js';
import { ScalarProblem } from './ruby-scalars.js';
import type { ComposedYaml, YamlMapNode, YamlNode, YamlPair, YamlSeqNode } from './yaml-node.js';
import { createPlainScalarResolver, type PlainScalarResolver, ScalarResolveError } from './yaml11-schema.js';

/**
 * Composes a YAML stream from js-yaml's event parser, several times faster than the `yaml`
 * package, for the YAML that CI files are made of: block and flow collections, plain, quoted and
 * block scalars, anchors, aliases, `<<` merge keys and `!reference` sequences. Returns undefined
 * for everything else, and then `composeReference` reads the text: a syntax error (so that its
 * message is the `yaml` package's), any other tag, a directive, a key that is not a plain or
 * quoted scalar, an anchored key, a line break the `yaml` package does not take (a lone CR), a byte
 * order mark, an alias to an anchor that does not precede it. Values and offsets are the ones
 * `composeReference` gives (`compose-fast.test.ts` compares them).
 */
export function composeFast(text: string): ComposedYaml | undefined {
  if (UNSUPPORTED_TEXT.test(text)) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  try {
    const documents = new EventComposer(text, events, createPlainScalarResolver()).documents();
    const lineCounter = new LineCounter();
    lineCounter.addNewLine(0);
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1))
      lineCounter.addNewLine(index + 1);
    return { documents, lineCounter };
  } catch (error) {
    if (error instanceof OutsideFastPath || error instanceof ScalarResolveError) return undefined;
    throw error;
  }
}

/** A carriage return not followed by a line feed, or a byte order mark. */
const UNSUPPORTED_TEXT = /\r(?!\n)|\uFEFF/;

/** The YAML spec limits an implicit key to 1024 characters; keys near that are left to the reference. */
const MAX_IMPLICIT_KEY_LENGTH = 1000;

/** A block scalar's header line when the scalar is a sequence item: `- |`, `- - >-`, `- &a |2 # c`. */
const ITEM_BLOCK_HEADER = /^([ \t]*(?:-[ \t]+)+(?:[&!][^ \t]*[ \t]+)*)[|>][0-9+-]*(?:[ \t]+#.*)?[ \t]*\r?$/;

/** The anchor names libyaml takes; others are left to the reference reader, which reports them. */
const ANCHOR_NAME = /^[A-Za-z0-9_-]+$/;

/** Leaves the text to `composeReference`. */
class OutsideFastPath extends Error {
  override readonly name = 'OutsideFastPath';
}

/** Where an anchor's node is still being composed (an alias to it would be recursive). */
const OPEN = Symbol('open anchor');

class EventComposer {
  #index = 0;
  #anchors = new Map<string, YamlNode | typeof OPEN>();

  constructor(
    private readonly text: string,
    private readonly events: readonly Event[],
    private readonly scalars: PlainScalarResolver,
  ) {}

  documents(): (YamlNode | null)[] {
    const documents: (YamlNode | null)[] = [];
    while (this.#index < this.events.length) {
      const event = this.next();
      if (event.type !== EVENT_ID.DOCUMENT || event.directives.length > 0) throw new OutsideFastPath();
      this.#anchors = new Map();
      documents.push(this.node());
      if (this.next().type !== EVENT_ID.POP) throw new OutsideFastPath();
    }
    return documents;
  }

  private next(): Event {
    const event = this.events[this.#index++];
    if (!event) throw new OutsideFastPath();
    return event;
  }

  private node(): YamlNode {
    const event = this.next();
    switch (event.type) {
      case EVENT_ID.SCALAR:
        return this.scalar(event);
      case EVENT_ID.SEQUENCE:
        return this.sequence(event);
      case EVENT_ID.MAPPING:
        return this.mapping(event);
      case EVENT_ID.ALIAS: {
        const name = this.text.slice(event.anchorStart, event.anchorEnd);
        const target = this.#anchors.get(name);
        if (target === undefined || target === OPEN || !ANCHOR_NAME.test(name)) throw new OutsideFastPath();
        return { kind: 'alias', offset: event.anchorStart - 1, name, target: () => target };
      }
      default:
        throw new OutsideFastPath();
    }
  }

  private scalar(event: ScalarEvent): YamlNode {
    if (event.tagStart !== -1) throw new OutsideFastPath();
    const anchor = this.anchorOf(event);
    const empty = event.valueStart === -1;
    const source = empty ? '' : getScalarValue(this.text, event);
    const raw = event.style === SCALAR_STYLE.PLAIN ? this.scalars.resolve(source) : source;
    // An empty scalar has no offset in js-yaml's events; only a sequence item would need one.
    const node: YamlNode = {
      kind: 'scalar',
      offset: empty ? -1 : this.scalarOffset(event),
      raw,
      source,
      plain: event.style === SCALAR_STYLE.PLAIN,
    };
    if (anchor !== undefined) this.#anchors.set(anchor, node);
    return node;
  }

  private sequence(event: SequenceEvent): YamlNode {
    const tag = event.tagStart === -1 ? undefined : this.text.slice(event.tagStart, event.tagEnd);
    if (tag !== undefined && tag !== '!reference') throw new OutsideFastPath();
    const anchor = this.anchorOf(event);
    const items: YamlNode[] = [];
    const node: YamlSeqNode = {
      kind: 'seq',
      offset: event.start,
      reference: tag !== undefined,
      items,
      flow: event.style === COLLECTION_STYLE.FLOW,
    };
    while (this.events[this.#index]?.type !== EVENT_ID.POP) {
      const item = this.node();
      if (item.offset < 0) throw new OutsideFastPath();
      items.push(item);
    }
    this.#index++;
    if (anchor !== undefined) this.#anchors.set(anchor, node);
    return node;
  }

  private mapping(event: MappingEvent): YamlNode {
    if (event.tagStart !== -1) throw new OutsideFastPath();
    const anchor = this.anchorOf(event);
    const pairs: YamlPair[] = [];
    const node: YamlMapNode = {
      kind: 'map',
      offset: event.start,
      pairs,
      flow: event.style === COLLECTION_STYLE.FLOW,
    };
    while (this.events[this.#index]?.type !== EVENT_ID.POP) {
      const key = this.next();
      if (
        key.type !== EVENT_ID.SCALAR ||
        key.tagStart !== -1 ||
        key.anchorStart !== -1 ||
        key.valueStart === -1 ||
        key.valueEnd - key.valueStart > MAX_IMPLICIT_KEY_LENGTH ||
        (key.style !== SCALAR_STYLE.PLAIN &&
          key.style !== SCALAR_STYLE.SINGLE_QUOTED &&
          key.style !== SCALAR_STYLE.DOUBLE_QUOTED)
      )
        throw new OutsideFastPath();
      const text = getScalarValue(this.text, key);
      const raw = key.style === SCALAR_STYLE.PLAIN ? this.scalars.resolve(text) : text;
      pairs.push({
        merge: raw === '<<',
        name: keyName(raw),
        ...(key.style === SCALAR_STYLE.PLAIN ? { plainKey: text } : {}),
        ...(raw instanceof ScalarProblem ? { problem: raw.message } : {}),
        keyOffset: this.scalarOffset(key),
        value: this.node(),
      });
    }
    this.#index++;
    if (anchor !== undefined) this.#anchors.set(anchor, node);
    return node;
  }

  /** Marks the node's anchor as open until the node is complete. */
  private anchorOf(event: ScalarEvent | SequenceEvent | MappingEvent): string | undefined {
    if (event.anchorStart === -1) return undefined;
    const anchor = this.text.slice(event.anchorStart, event.anchorEnd);
    if (!ANCHOR_NAME.test(anchor)) throw new OutsideFastPath();
    this.#anchors.set(anchor, OPEN);
    return anchor;
  }

  /** Where the `yaml` package starts a scalar: its opening quote, or a block scalar's `|`/`>`. */
  private scalarOffset(event: ScalarEvent): number {
    switch (event.style) {
      case SCALAR_STYLE.SINGLE_QUOTED:
      case SCALAR_STYLE.DOUBLE_QUOTED:
        return event.valueStart - 1;
      case SCALAR_STYLE.LITERAL_BLOCK:
      case SCALAR_STYLE.FOLDED_BLOCK:
        return this.itemBlockHeader(event.valueStart);
      default:
        return event.valueStart;
    }
  }

  /**
   * A block scalar's content starts on the line after its header; as a sequence item (the only
   * place its offset is used), the header line is `- |` with optional properties and comment.
   * Anything else is left to the reference front end.
   */
  private itemBlockHeader(contentStart: number): number {
    if (this.text[contentStart - 1] !== '\n') return -1;
    const lineStart = this.text.lastIndexOf('\n', contentStart - 2) + 1;
    const match = ITEM_BLOCK_HEADER.exec(this.text.slice(lineStart, contentStart - 1));
    return match ? lineStart + match[1]!.length : -1;
  }
}
