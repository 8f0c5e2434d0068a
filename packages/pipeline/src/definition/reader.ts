import { didYouMean } from '@glci/config';
import type { IssueCollector } from '../errors.js';
import { ExpressionCache } from '../expression/evaluate-expression.js';
import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { RubyFloat, scalarText } from '../yaml/ruby-scalars.js';
import type { SourceLocation, SourceMap } from '../yaml/source-map.js';
import type { VariableDefinition } from './types.js';

/** Reads values out of the merged configuration, reporting GitLab-worded issues with positions. */
export class Reader {
  /** `rules:if` and `only:variables` expressions, checked once per distinct text. */
  readonly expressions = new ExpressionCache();

  constructor(
    readonly sourceMap: SourceMap,
    readonly issues: IssueCollector,
  ) {}

  /** Where `key` of `holder` is written, else where `holder` is. */
  at(holder: unknown, key?: string | number): SourceLocation | undefined {
    return key === undefined ? this.sourceMap.locationOf(holder) : this.sourceMap.entryLocation(holder, key);
  }

  fail(keyPath: string, message: string, location: SourceLocation | undefined): undefined {
    this.issues.add(keyPath, message, location);
    return undefined;
  }

  /**
   * The items of a value that may be one item or a list, with lists nested by anchors flattened as
   * GitLab's `[config].flatten` does (`cache: [*go_cache]`, `needs: [*base, job]`), each with where
   * it is written.
   */
  flatItems(
    value: YamlValue,
    at: SourceLocation | undefined,
  ): { item: YamlValue; at: SourceLocation | undefined }[] {
    const items: { item: YamlValue; at: SourceLocation | undefined }[] = [];
    const flatten = (list: YamlValue[]) =>
      list.forEach((item, index) => {
        if (Array.isArray(item)) flatten(item);
        else items.push({ item, at: this.at(list, index) ?? at });
      });
    if (Array.isArray(value)) flatten(value);
    else items.push({ item: value, at });
    return items;
  }

  /** Reports keys of `map` outside `allowed`, with a did-you-mean. */
  checkKeys(map: YamlMap, allowed: readonly string[], keyPath: string): void {
    const unknown = Object.keys(map).filter((key) => !allowed.includes(key));
    if (unknown.length === 0) return;
    // GitLab lists them in one message; glci adds a did-you-mean where one is near.
    const hints = unknown
      .map((key) => [key, didYouMean(key, allowed)] as const)
      .filter(([, suggestion]) => suggestion)
      .map(([key, suggestion]) =>
        unknown.length === 1 ? `did you mean "${suggestion}"?` : `${key}: did you mean "${suggestion}"?`,
      );
    this.issues.add(
      keyPath,
      `config contains unknown keys: ${unknown.join(', ')}${hints.length ? ` (${hints.join('; ')})` : ''}`,
      this.at(map, unknown[0]),
    );
  }

  map(value: YamlValue | undefined, keyPath: string, at: SourceLocation | undefined): YamlMap | undefined {
    if (isYamlMap(value)) return value;
    return this.fail(keyPath, 'config should be a hash', at);
  }

  string(value: YamlValue | undefined, keyPath: string, at: SourceLocation | undefined): string | undefined {
    if (typeof value === 'string') return value;
    return this.fail(keyPath, 'config should be a string', at);
  }

  /** A string, or a number GitLab would turn into one (`1.10` is the Float 1.1, `1.0` is "1.0", as in GitLab). */
  text(value: YamlValue | undefined, keyPath: string, at: SourceLocation | undefined): string | undefined {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'bigint' || value instanceof RubyFloat)
      return String(value);
    return this.fail(keyPath, 'config should be a string', at);
  }

  boolean(
    value: YamlValue | undefined,
    keyPath: string,
    at: SourceLocation | undefined,
  ): boolean | undefined {
    if (typeof value === 'boolean') return value;
    return this.fail(keyPath, 'config should be a boolean value', at);
  }

  stringList(
    value: YamlValue | undefined,
    keyPath: string,
    at: SourceLocation | undefined,
    single = false,
  ): string[] | undefined {
    if (single && typeof value === 'string') return [value];
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    return this.fail(
      keyPath,
      single ? 'config should be a string or an array of strings' : 'config should be an array of strings',
      at,
    );
  }

  /**
   * `script`-like keys: a string, or a list of strings and lists nested up to 10 levels (what
   * `!reference` produces), flattened. Numbers are kept as text, as GitLab does.
   */
  script(
    value: YamlValue | undefined,
    keyPath: string,
    at: SourceLocation | undefined,
  ): string[] | undefined {
    const lines: string[] = [];
    const walk = (node: YamlValue, depth: number): boolean => {
      if (typeof node === 'string') lines.push(node);
      else if (
        typeof node === 'number' ||
        typeof node === 'bigint' ||
        typeof node === 'boolean' ||
        node instanceof RubyFloat
      )
        lines.push(String(node));
      else if (Array.isArray(node) && depth < 10) return node.every((item) => walk(item, depth + 1));
      else return false;
      return true;
    };
    if (walk(value ?? null, 0)) return lines;
    return this.fail(
      keyPath,
      'config should be a string or a nested array of strings up to 10 levels deep',
      at,
    );
  }

  /** `variables:`; descriptions and options are allowed only at the top level. */
  variables(
    value: YamlValue | undefined,
    keyPath: string,
    at: SourceLocation | undefined,
    topLevel: boolean,
  ): VariableDefinition[] {
    if (value === undefined || value === null) return [];
    if (!isYamlMap(value)) {
      this.fail(keyPath, 'config should be a hash of key value pairs, value can be a hash', at);
      return [];
    }
    const definitions: VariableDefinition[] = [];
    for (const [name, raw] of Object.entries(value)) {
      const where = this.at(value, name);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        this.fail(
          keyPath,
          `variable name \`${name}\` may only contain letters, digits and "_", and may not start with a digit`,
          where,
        );
        continue;
      }
      // GitLab's ScalarValidator: a String, Symbol, Integer, Float, true or false (as its to_s).
      const scalar = scalarText(raw);
      if (scalar !== undefined) {
        definitions.push({ name, value: scalar, expand: true });
        continue;
      }
      if (isYamlMap(raw)) {
        // GitLab's Entry::Variable: job variables take value and expand; global ones also
        // description and options.
        const allowed = topLevel ? ['value', 'description', 'expand', 'options'] : ['value', 'expand'];
        const extra = Object.keys(raw).filter((key) => !allowed.includes(key));
        if (extra.length > 0)
          this.fail(`${keyPath}:${name}`, `config uses invalid data keys: ${extra.join(', ')}`, where);
        const text =
          raw.value === undefined || raw.value === null
            ? ''
            : this.text(raw.value, `${keyPath}:${name}:value`, where);
        const expand =
          raw.expand === undefined ? true : this.boolean(raw.expand, `${keyPath}:${name}:expand`, where);
        const options =
          raw.options === undefined
            ? undefined
            : this.stringList(raw.options, `${keyPath}:${name}:options`, where);
        if (options && text !== undefined && !options.includes(text))
          this.fail(`${keyPath}:${name}`, 'config value must be present in options', where);
        if (text === undefined || expand === undefined) continue;
        definitions.push({
          name,
          value: text,
          expand,
          ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
          ...(options ? { options } : {}),
        });
        continue;
      }
      this.fail(keyPath, 'config should be a hash of key value pairs, value can be a hash', where);
    }
    return definitions;
  }
}
