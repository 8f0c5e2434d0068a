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
} from 'yaml';
import { IssueCollector } from '../errors.js';
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
  if (isScalar(node)) return { kind: 'scalar', offset, raw: node.value, source: node.source };
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
        return {
          merge: isScalar(key) && typeof key.value === 'symbol',
          name: keyName(key),
          keyOffset: (key ?? node).range?.[0] ?? 0,
          value: pair.value ? build(pair.value as Node) : null,
        };
      }),
    };
  }
  return { kind: 'scalar', offset, raw: null, source: undefined };
}

function keyName(key: Node | null): string {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return key ? String(key) : '';
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
