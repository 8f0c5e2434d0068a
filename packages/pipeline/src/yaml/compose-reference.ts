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
import { keyName, type PlainScalar, tokenizePlain } from './psych-scalar.js';

import { RubyFloat, ScalarProblem } from './ruby-scalars.js';
import type { ComposedYaml, YamlNode } from './yaml-node.js';
import { rubyInspect, type YamlValue } from './yaml-value.js';
import { YAML_OPTIONS } from './yaml11-schema.js';

/**
 * Composes a YAML stream with the `yaml` package: the reference front end, used for whatever
 * `composeFast` leaves to it (syntax errors with the `yaml` package's messages, tags, complex
 * keys…). Throws `PipelineConfigError` with file:line:column for every syntax error.
 */
export function composeReference(text: string, file: string): ComposedYaml {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter });
  const list = Array.isArray(parsed) ? parsed : [];
  const issues = new IssueCollector();
  for (const document of list) {
    for (const error of document.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      issues.add('', `invalid YAML: ${firstLine(error.message)}`, { file, line, column: col });
    }
  }
  issues.throwIfAny();
  const documents = list.map((document) => {
    const built = new Map<Node, YamlNode>();
    const build = (node: Node): YamlNode => {
      let result = built.get(node);
      if (!result) {
        result = toYamlNode(node, document, build, text);
        built.set(node, result);
      }
      return result;
    };
    const contents = document.contents as ParsedNode | null;
    return contents ? build(contents) : null;
  });
  return { documents, lineCounter };
}

function toYamlNode(node: Node, document: Document, build: (node: Node) => YamlNode, text: string): YamlNode {
  const offset = node.range?.[0] ?? 0;
  const anchor = (node as { anchor?: string }).anchor;
  const problem =
    anchor !== undefined && !/^[A-Za-z0-9_-]+$/.test(anchor)
      ? { problem: 'did not find expected alphabetic or numeric character while scanning an anchor' }
      : {};
  if (isAlias(node)) {
    return {
      kind: 'alias',
      offset,
      name: node.source,
      target: () => {
        const target = node.resolve(document) as Node | undefined;
        return target ? build(target) : undefined;
      },
    };
  }
  if (isScalar(node))
    return {
      kind: 'scalar',
      offset,
      raw: scalarRaw(node),
      source: scalarSource(node),
      plain: node.type === 'PLAIN',
      ...problem,
    };
  if (isSeq(node))
    return {
      kind: 'seq',
      offset,
      reference: node.tag === '!reference',
      items: node.items.map((item) => build(item as Node)),
      flow: node.flow === true,
      ...problem,
    };
  if (isMap(node)) {
    return {
      kind: 'map',
      offset,
      flow: node.flow === true,
      ...problem,
      pairs: node.items.map((pair) => {
        const key = pair.key as Node | null;
        const raw = isScalar(key) ? scalarRaw(key) : key ? rubyInspect(key.toJSON() as YamlValue) : null;
        return {
          merge: raw === '<<' && (key as Scalar).tag !== STR_TAG,
          name: keyName(raw),
          ...(isScalar(key) && key.type === 'PLAIN' ? { plainKey: scalarSource(key) } : {}),
          ...(raw instanceof ScalarProblem
            ? { problem: raw.message }
            : implicitCollectionKey(key, text) || missingKey(key, pair.value as Node | null, text)
              ? { problem: 'mapping values are not allowed in this context' }
              : {}),
          keyOffset: (key ?? node).range?.[0] ?? 0,
          value: pair.value ? build(pair.value as Node) : null,
        };
      }),
    };
  }
  return { kind: 'scalar', offset, raw: null, source: undefined };
}

/** libyaml takes a collection as a key only after `?`; the `yaml` package also takes `[a, b]: c`. */
function implicitCollectionKey(key: Node | null, text: string): boolean {
  if (!key || isScalar(key) || isAlias(key)) return false;
  let index = (key.range?.[0] ?? 0) - 1;
  while (index >= 0 && (text[index] === ' ' || text[index] === '\t')) index--;
  return text[index] !== '?';
}

/** libyaml takes an empty key only after `?`; the `yaml` package also takes `: value`. */
function missingKey(key: Node | null, value: Node | null, text: string): boolean {
  const empty = !key || (isScalar(key) && key.range != null && key.range[0] === key.range[1]);
  if (!empty || !value?.range) return false;
  let index = value.range[0] - 1;
  while (index >= 0 && /[ \t]/.test(text[index]!)) index--;
  if (text[index] !== ':') return false;
  index--;
  while (index >= 0 && /[ \t\r\n]/.test(text[index]!)) index--;
  return text[index] !== '?';
}

const STR_TAG = 'tag:yaml.org,2002:str';
const FLOAT_TAG = 'tag:yaml.org,2002:float';
const BINARY_TAG = 'tag:yaml.org,2002:binary';

function scalarSource(node: Scalar): string {
  return typeof node.source === 'string' ? node.source : node.value == null ? '' : String(node.value);
}

/**
 * What Psych's `deserialize` gives a scalar: quoted and block scalars are text whatever their tag;
 * a plain one goes through `tokenizePlain`, except with `!!str` (text) or `!!float` (`Float()` of
 * the token); any other tag (`!!int`, `!foo`) is ignored.
 */
function scalarRaw(node: Scalar): PlainScalar {
  const source = scalarSource(node);
  if (node.tag === BINARY_TAG) return Buffer.from(source, 'base64').toString('utf8');
  if (node.type !== 'PLAIN') return source;
  if (node.tag === STR_TAG) return source;
  const token = tokenizePlain(source);
  if (node.tag !== FLOAT_TAG) return token;
  if (token instanceof RubyFloat || token instanceof ScalarProblem) return token;
  if (typeof token === 'number' || typeof token === 'bigint') return new RubyFloat(Number(token));
  const text = typeof token === 'string' ? token.replace(/_/g, '') : String(token);
  return /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)
    ? new RubyFloat(Number(text))
    : new ScalarProblem(`invalid value for Float(): ${JSON.stringify(String(token))}`);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
