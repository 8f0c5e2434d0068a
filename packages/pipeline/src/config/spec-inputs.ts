import type { IssueCollector } from '../errors.js';
import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { RubyFloat } from '../yaml/ruby-scalars.js';
import type { SourceLocation, SourceMap } from '../yaml/source-map.js';

export type InputValue = string | number | boolean | InputValue[] | { [key: string]: InputValue };

export interface InputSpec {
  readonly name: string;
  readonly type: 'string' | 'number' | 'boolean' | 'array';
  readonly default?: InputValue;
  readonly description?: string;
  readonly options?: readonly InputValue[];
  readonly regex?: string;
}

const SPEC_KEYS = ['default', 'description', 'options', 'regex', 'type'];

/** Reads `spec: inputs:` from a file's header document. Issues go to `issues`. */
export function parseInputSpecs(
  header: YamlValue,
  sourceMap: SourceMap,
  issues: IssueCollector,
  file: string,
): InputSpec[] {
  if (!isYamlMap(header) || !isYamlMap(header.spec)) {
    issues.add(
      'spec',
      'the header document must be a mapping with a `spec` key',
      sourceMap.locationOf(header),
    );
    return [];
  }
  const unknown = Object.keys(header.spec).filter((key) => key !== 'inputs' && key !== 'component');
  for (const key of unknown)
    issues.add('spec', `config contains unknown keys: ${key}`, sourceMap.entryLocation(header.spec, key));
  const inputs = header.spec.inputs;
  if (inputs === undefined || inputs === null) return [];
  if (!isYamlMap(inputs)) {
    issues.add('spec:inputs', 'config should be a hash', sourceMap.entryLocation(header.spec, 'inputs'));
    return [];
  }
  const specs: InputSpec[] = [];
  for (const [name, raw] of Object.entries(inputs)) {
    const at = sourceMap.entryLocation(inputs, name);
    const definition: YamlMap = raw === null ? {} : isYamlMap(raw) ? raw : {};
    if (raw !== null && !isYamlMap(raw)) {
      issues.add(`spec:inputs:${name}`, 'config should be a hash', at);
      continue;
    }
    for (const key of Object.keys(definition).filter((key) => !SPEC_KEYS.includes(key) && key !== 'rules'))
      issues.add(
        `spec:inputs:${name}`,
        `config contains unknown keys: ${key}`,
        sourceMap.entryLocation(definition, key),
      );
    const type = definition.type ?? 'string';
    if (type !== 'string' && type !== 'number' && type !== 'boolean' && type !== 'array') {
      issues.add(`spec:inputs:${name}:type`, 'must be one of: string, number, boolean, array', at);
      continue;
    }
    const spec: InputSpec = {
      name,
      type,
      ...(definition.default !== undefined ? { default: definition.default as InputValue } : {}),
      ...(typeof definition.description === 'string' ? { description: definition.description } : {}),
      ...(Array.isArray(definition.options) ? { options: definition.options as InputValue[] } : {}),
      ...(typeof definition.regex === 'string' ? { regex: definition.regex } : {}),
    };
    if (spec.default !== undefined) {
      const problem = checkInput(spec, spec.default, true);
      if (problem) issues.add(`spec:inputs:${name}:default`, problem, at);
    }
    specs.push(spec);
  }
  void file;
  return specs;
}

/**
 * The inputs a file is interpolated with: given values checked against the spec, defaults for the
 * rest. Problems use GitLab's wording (`\`name\` input: required value has not been provided`).
 */
export function resolveInputs(
  specs: readonly InputSpec[],
  given: Readonly<Record<string, unknown>>,
  issues: IssueCollector,
  location: SourceLocation | undefined,
): Map<string, InputValue> {
  const values = new Map<string, InputValue>();
  const known = new Set(specs.map((spec) => spec.name));
  const unknown = Object.keys(given).filter((name) => !known.has(name));
  if (unknown.length > 0) issues.add('inputs', `unknown input arguments: ${unknown.join(', ')}`, location);
  for (const spec of specs) {
    const provided = given[spec.name];
    if (provided === undefined || provided === null) {
      if (spec.default === undefined) {
        const description = spec.description ? ` (${spec.description})` : '';
        issues.add(
          'inputs',
          `\`${spec.name}\` input: required value has not been provided${description}`,
          location,
        );
        continue;
      }
      values.set(spec.name, spec.default);
      continue;
    }
    const value = coerceInput(spec, provided);
    const problem =
      value === undefined ? `provided value is not a ${spec.type}` : checkInput(spec, value, false);
    if (problem) {
      issues.add('inputs', `\`${spec.name}\` input: ${problem}`, location);
      continue;
    }
    values.set(spec.name, value!);
  }
  return values;
}

/** Text from the command line or an inputs file becomes the spec's type; undefined if it cannot. */
export function coerceInput(spec: InputSpec, value: unknown): InputValue | undefined {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
    case 'number': {
      if (typeof value === 'number' || value instanceof RubyFloat) return value as InputValue;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      return undefined;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const text = String(value).toLowerCase();
      if (['true', 'yes', '1'].includes(text)) return true;
      if (['false', 'no', '0'].includes(text)) return false;
      return undefined;
    }
    case 'array': {
      if (Array.isArray(value)) return value as InputValue[];
      if (typeof value === 'string' && value.trim().startsWith('[')) {
        try {
          const parsed: unknown = JSON.parse(value);
          return Array.isArray(parsed) ? (parsed as InputValue[]) : undefined;
        } catch {
          return undefined;
        }
      }
      return undefined;
    }
  }
}

function checkInput(spec: InputSpec, value: InputValue, isDefault: boolean): string | undefined {
  const typeOk =
    spec.type === 'array'
      ? Array.isArray(value)
      : spec.type === 'string'
        ? typeof value === 'string'
        : spec.type === 'number'
          ? typeof value === 'number' || typeof value === 'bigint' || value instanceof RubyFloat
          : typeof value === spec.type;
  if (!typeOk) return `${isDefault ? 'default value' : 'provided value'} is not a ${spec.type}`;
  if (spec.options && !spec.options.some((option) => option === value))
    return `\`${String(value)}\` cannot be used because it is not in the list of allowed options`;
  if (spec.regex && typeof value === 'string') {
    const pattern = /^\/(.*)\/([a-z]*)$/s.exec(spec.regex);
    try {
      const regexp = pattern ? new RegExp(pattern[1]!, pattern[2]) : new RegExp(spec.regex);
      if (!regexp.test(value)) return 'provided value does not match required RegEx pattern';
    } catch {
      return `the regex ${spec.regex} is not a valid regular expression`;
    }
  }
  return undefined;
}
