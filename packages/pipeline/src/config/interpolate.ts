import type { IssueCollector } from '../errors.js';
import { expandText } from '../variables/expand.js';
import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { ReferenceTag } from '../yaml/reference-tag.js';
import { scalarText } from '../yaml/ruby-scalars.js';
import type { SourceMap } from '../yaml/source-map.js';
import type { InputValue } from './spec-inputs.js';

const BLOCK = /\$\[\[\s*([^\]]*?)\s*\]\]/g;
const WHOLE = /^\$\[\[\s*([^\]]*?)\s*\]\]$/;

export interface InterpolationContext {
  readonly inputs: ReadonlyMap<string, InputValue>;
  /** `$[[ component.name ]]` and friends, for CI/CD components. */
  readonly component?: Readonly<Record<string, string>>;
  /** For the `expand_vars` function. */
  readonly variables: (name: string) => string | undefined;
}

/**
 * Replaces `$[[ inputs.NAME ]]` blocks (with `| expand_vars`, `| truncate(offset,length)` and
 * `| posix_escape`) in every key and string of a file's content. A string that is exactly one block
 * takes the input's own type (a boolean, a number, a list); blocks inside text are replaced by text.
 */
export function interpolate(
  value: YamlValue,
  context: InterpolationContext,
  issues: IssueCollector,
  sourceMap: SourceMap,
  file: string,
): YamlValue {
  const visit = (node: YamlValue, keyPath: string): YamlValue => {
    if (typeof node === 'string') return interpolateString(node, keyPath);
    if (Array.isArray(node)) {
      const list = node.map((item, index) => visit(item, `${keyPath}:${index}`));
      sourceMap.alias(list, node);
      return list;
    }
    if (node instanceof ReferenceTag) return node;
    if (isYamlMap(node)) {
      const map: YamlMap = {};
      const entries = sourceMap.record(map, sourceMap.locationOf(node) ?? { file, line: 1, column: 1 });
      for (const [key, inner] of Object.entries(node)) {
        const newKey = key.includes('$[[') ? String(interpolateString(key, keyPath)) : key;
        map[newKey] = visit(inner, keyPath ? `${keyPath}:${newKey}` : newKey);
        const at = sourceMap.entryLocation(node, key);
        if (at) entries.set(newKey, at);
      }
      return map;
    }
    return node;
  };

  const interpolateString = (text: string, keyPath: string): YamlValue => {
    if (!text.includes('$[[')) return text;
    const whole = WHOLE.exec(text);
    if (whole) {
      const result = evaluateBlock(whole[1]!, keyPath);
      return result === undefined ? text : (result as YamlValue);
    }
    return text.replace(BLOCK, (match, body: string) => {
      const result = evaluateBlock(body, keyPath);
      if (result === undefined) return match;
      return typeof result === 'string' ? result : (scalarText(result) ?? JSON.stringify(result));
    });
  };

  const evaluateBlock = (body: string, keyPath: string): InputValue | undefined => {
    const [access = '', ...functions] = body.split('|').map((part) => part.trim());
    let value: InputValue | undefined;
    const inputMatch = /^inputs\.([A-Za-z0-9_-]+)$/.exec(access);
    const componentMatch = /^component\.([a-z_]+)$/.exec(access);
    if (inputMatch) {
      value = context.inputs.get(inputMatch[1]!);
      if (value === undefined) {
        issues.add(keyPath, `unknown interpolation key: \`${inputMatch[1]}\``, { file, line: 1, column: 1 });
        return undefined;
      }
    } else if (componentMatch && context.component?.[componentMatch[1]!] !== undefined) {
      value = context.component[componentMatch[1]!]!;
    } else {
      issues.add(keyPath, `invalid interpolation access pattern: \`${access}\``, {
        file,
        line: 1,
        column: 1,
      });
      return undefined;
    }
    for (const call of functions) {
      const truncate = /^truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(call);
      if (call === 'expand_vars') value = expandText(String(value), context.variables, { keepUnknown: true });
      else if (call === 'posix_escape') value = String(value).replace(/([^A-Za-z0-9_\-.,:/@\n])/g, '\\$1');
      else if (truncate) value = String(value).substr(Number(truncate[1]), Number(truncate[2]));
      else {
        issues.add(
          keyPath,
          `no function matching \`${call}\`: check that the function name, arguments, and types are correct`,
          {
            file,
            line: 1,
            column: 1,
          },
        );
        return undefined;
      }
    }
    return value;
  };

  return visit(value, '');
}
