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
        result = toYamlNode(node, document, build);
        built.set(node, result);
      }
      return result;
    };
    const contents = document.contents as ParsedNode | null;
    return contents ? build(contents) : null;
  });
  return { documents, lineCounter };
}

function toYamlNode(node: Node, document: Document, build: (node: Node) => YamlNode): YamlNode {
  const offset = node.range?.[0] ?? 0;
  if (isAlias(node)) {
    return {
      kind: 'alias',
      offset,
      target: () => {
        const target = node.resolve(document) as Node | undefined;
        return target ? build(target) : undefined;
      },
    };
  }
  if (isScalar(node)) return { kind: 'scalar', offset, raw: scalarRaw(node), source: scalarSource(node) };
  if (isSeq(node))
    return {
      kind: 'seq',
      offset,
      reference: node.tag === '!reference',
      items: node.items.map((item) => build(item as Node)),
    };
  if (isMap(node)) {
    return {
      kind: 'map',
      offset,
      pairs: node.items.map((pair) => {
        const key = pair.key as Node | null;
        const raw = isScalar(key) ? scalarRaw(key) : key ? String(key) : null;
        return {
          merge: raw === '<<' && (key as Scalar).tag !== STR_TAG,
          name: keyName(raw),
          ...(raw instanceof ScalarProblem ? { problem: raw.message } : {}),
          keyOffset: (key ?? node).range?.[0] ?? 0,
          value: pair.value ? build(pair.value as Node) : null,
        };
      }),
    };
  }
  return { kind: 'scalar', offset, raw: null, source: undefined };
}

const STR_TAG = 'tag:yaml.org,2002:str';
const FLOAT_TAG = 'tag:yaml.org,2002:float';

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
