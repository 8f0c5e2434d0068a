import { isYamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { RubyFloat, scalarText } from '../yaml/ruby-scalars.js';
import type { SourceLocation } from '../yaml/source-map.js';
import { parseHumanDuration } from './duration.js';
import type { Reader } from './reader.js';
import type { AllowFailure, NeedDefinition, OnlyExceptDefinition, RuleDefinition, When } from './types.js';

/** A rule's `when` (GitLab's `Rules::Rule::ALLOWED_WHEN`). */
export const RULE_WHEN: readonly When[] = [
  'on_success',
  'on_failure',
  'always',
  'manual',
  'delayed',
  'never',
];
/** A job's own `when` (GitLab's `Job::ALLOWED_WHEN`): `never` exists only in rules. */
export const JOB_WHEN: readonly When[] = ['on_success', 'on_failure', 'always', 'manual', 'delayed'];
const RULE_KEYS = [
  'if',
  'changes',
  'exists',
  'when',
  'start_in',
  'allow_failure',
  'variables',
  'needs',
  'interruptible',
];
const MAX_RULES = 50;

export interface RuleOptions {
  /** Which `when` values the rules may set (workflow rules: always and never). */
  readonly when: readonly When[];
  /** Keys the rules may have besides if/changes/exists/when. */
  readonly keys: readonly string[];
}

export function readWhen(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
  allowed: readonly When[],
): When | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as When;
  return reader.fail(keyPath, `config should be one of: ${allowed.join(', ')}`, at);
}

export function readAllowFailure(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): AllowFailure | undefined {
  if (typeof value === 'boolean') return value;
  if (isYamlMap(value)) {
    reader.checkKeys(value, ['exit_codes'], keyPath);
    const codes = value.exit_codes;
    const list = typeof codes === 'number' ? [codes] : codes;
    if (Array.isArray(list) && list.length > 0 && list.every((code) => Number.isInteger(code)))
      return { exitCodes: list as number[] };
    return reader.fail(`${keyPath}:exit_codes`, 'config should be an array of integers or an integer', at);
  }
  return reader.fail(keyPath, 'config should be a hash or a boolean value', at);
}

/** `rules:` of a job, a workflow or an include; nested lists (from `!reference`) are flattened. */
export function readRules(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
  options: RuleOptions,
): RuleDefinition[] | undefined {
  if (!Array.isArray(value)) return reader.fail(keyPath, 'config should be an array of hashes', at);
  if (value.length === 0) return reader.fail(keyPath, "config can't be blank", at);
  const flat: { rule: YamlValue; at: SourceLocation | undefined }[] = [];
  const flatten = (list: YamlValue[], depth: number) => {
    list.forEach((item, index) => {
      if (Array.isArray(item) && depth < 10) flatten(item, depth + 1);
      else flat.push({ rule: item, at: reader.at(list, index) });
    });
  };
  flatten(value, 0);
  if (flat.length > MAX_RULES)
    reader.fail(keyPath, `config has too many rules (maximum is ${MAX_RULES})`, at);
  const rules: RuleDefinition[] = [];
  for (const { rule, at: ruleAt } of flat) {
    const path = `${keyPath}:rule`;
    if (!isYamlMap(rule)) {
      reader.fail(path, 'config should be a hash', ruleAt);
      continue;
    }
    reader.checkKeys(rule, ['if', 'changes', 'exists', 'when', ...options.keys], path);
    const definition: { -readonly [K in keyof RuleDefinition]: RuleDefinition[K] } = {
      location: reader.at(rule) ?? ruleAt,
    };
    if (Object.keys(rule).length === 0) reader.fail(path, "config can't be blank", ruleAt);
    if (rule.if !== undefined) {
      // GitLab's expression validator: anything but a valid expression string is a syntax error.
      const text = typeof rule.if === 'string' ? rule.if : undefined;
      const problem = text === undefined ? 'invalid expression syntax' : reader.expressions.syntaxError(text);
      if (problem) reader.fail(path, `if ${problem}`, reader.at(rule, 'if'));
      if (text !== undefined && !problem) definition.if = text;
    }
    if (rule.changes !== undefined) {
      const changes = rule.changes;
      if (isYamlMap(changes)) {
        reader.checkKeys(changes, ['paths', 'compare_to'], `${path}:changes`);
        const paths = reader.stringList(changes.paths, `${path}:changes:paths`, reader.at(changes, 'paths'));
        const compareTo =
          changes.compare_to === undefined
            ? undefined
            : reader.string(
                changes.compare_to,
                `${path}:changes:compare_to`,
                reader.at(changes, 'compare_to'),
              );
        if (paths) definition.changes = { paths, ...(compareTo ? { compareTo } : {}) };
      } else {
        const paths = reader.stringList(changes, `${path}:changes`, reader.at(rule, 'changes'));
        if (paths) definition.changes = { paths };
      }
      if ((definition.changes?.paths.length ?? 0) > 50)
        reader.fail(
          `${path}:changes`,
          'config has too many entries (maximum 50)',
          reader.at(rule, 'changes'),
        );
    }
    if (rule.exists !== undefined) {
      const exists = rule.exists;
      if (isYamlMap(exists)) {
        reader.checkKeys(exists, ['paths', 'project', 'ref'], `${path}:exists`);
        if (exists.project !== undefined)
          reader.fail(
            `${path}:exists:project`,
            'glci evaluates exists only in this project (exists:project is not supported locally)',
            reader.at(exists, 'project'),
          );
        const paths = reader.stringList(exists.paths, `${path}:exists:paths`, reader.at(exists, 'paths'));
        if (paths) definition.exists = { paths };
      } else if (
        (typeof exists === 'string' || Array.isArray(exists)) &&
        [exists].flat().every((each) => typeof each === 'string')
      ) {
        definition.exists = { paths: [exists].flat() as string[] };
      } else reader.fail(path, 'exists should be an array of strings', reader.at(rule, 'exists'));
      if ((definition.exists?.paths.length ?? 0) > 50)
        reader.fail(path, 'exists config has too many entries (maximum 50)', reader.at(rule, 'exists'));
    }
    if (rule.when !== undefined) {
      if (typeof rule.when === 'string' && (options.when as readonly string[]).includes(rule.when))
        definition.when = rule.when as When;
      else reader.fail(path, `when unknown value: ${scalarText(rule.when) ?? ''}`, reader.at(rule, 'when'));
    }
    if (rule.start_in !== undefined) {
      if (rule.when !== 'delayed')
        reader.fail(path, 'config disallowed keys: start_in', reader.at(rule, 'start_in'));
      const startIn = reader.text(rule.start_in, `${path}:start_in`, reader.at(rule, 'start_in'));
      const seconds = startIn === undefined ? undefined : parseHumanDuration(startIn);
      if (startIn !== undefined && seconds === undefined)
        reader.fail(path, 'start in should be a duration', reader.at(rule, 'start_in'));
      else if (seconds !== undefined && seconds > 7 * 86400)
        reader.fail(path, 'start in should not exceed the limit', reader.at(rule, 'start_in'));
      else if (startIn !== undefined) definition.startIn = startIn;
    }
    if (rule.when === 'delayed' && rule.start_in === undefined)
      reader.fail(path, "start in can't be blank", ruleAt);
    if (rule.allow_failure !== undefined) {
      // A rule's allow_failure is a boolean (exit_codes are the job's own).
      if (typeof rule.allow_failure === 'boolean') definition.allowFailure = rule.allow_failure;
      else reader.fail(path, 'allow failure should be a boolean value', reader.at(rule, 'allow_failure'));
    }
    if (rule.variables !== undefined)
      definition.variables = reader.variables(
        rule.variables,
        `${path}:variables`,
        reader.at(rule, 'variables'),
        false,
      );
    if (rule.needs !== undefined) {
      const needs = readNeeds(reader, rule.needs, `${path}:needs`, reader.at(rule, 'needs'));
      if (needs) definition.needs = needs;
    }
    if (rule.interruptible !== undefined) {
      const interruptible = reader.boolean(
        rule.interruptible,
        `${path}:interruptible`,
        reader.at(rule, 'interruptible'),
      );
      if (interruptible !== undefined) definition.interruptible = interruptible;
    }
    rules.push(definition);
  }
  return rules;
}

/**
 * `needs:`: names, `{job, artifacts, optional, parallel: {matrix}}`, and the other pipelines' jobs
 * (`{pipeline, job}`, `{project, job, ref}`), which are planned and refused only by `glci run`.
 * Nested lists (from `!reference`) are flattened, as GitLab's `Entry::Needs` does.
 */
export function readNeeds(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): NeedDefinition[] | undefined {
  if (!Array.isArray(value) && !isYamlMap(value))
    return reader.fail(keyPath, 'config can only be a Hash or an Array', at);
  const items = reader.flatItems(value, at);
  const needs: NeedDefinition[] = [];
  for (const { item, at: itemAt } of items) {
    if (typeof item === 'string') {
      if (item === '') reader.fail(`${keyPath}:need`, "config can't be blank", itemAt);
      else needs.push({ job: item, artifacts: true, optional: false });
      continue;
    }
    if (
      !isYamlMap(item) ||
      (item.job === undefined && item.pipeline === undefined && item.project === undefined)
    ) {
      // GitLab's Entry::Need knows a name, a hash with `job`, and the other pipelines' hashes.
      reader.fail(`${keyPath}:need`, 'has an unsupported type', itemAt);
      continue;
    }
    const cross = item.pipeline !== undefined || item.project !== undefined || item.ref !== undefined;
    const allowed = !cross
      ? ['job', 'artifacts', 'optional', 'parallel']
      : item.project !== undefined
        ? ['project', 'job', 'ref', 'artifacts']
        : ['pipeline', 'job', 'artifacts'];
    reader.checkKeys(item, allowed, `${keyPath}:need`);
    const job =
      typeof item.job === 'string' && item.job !== ''
        ? item.job
        : reader.fail(
            `${keyPath}:need`,
            item.job === undefined || item.job === '' ? "job can't be blank" : 'job should be a string',
            reader.at(item, 'job') ?? itemAt,
          );
    const artifacts =
      item.artifacts === undefined || item.artifacts === null
        ? true
        : typeof item.artifacts === 'boolean'
          ? item.artifacts
          : reader.fail(
              `${keyPath}:need`,
              'artifacts should be a boolean value',
              reader.at(item, 'artifacts'),
            );
    if (cross) {
      const pipeline =
        item.pipeline === undefined
          ? undefined
          : reader.string(item.pipeline, `${keyPath}:need:pipeline`, reader.at(item, 'pipeline'));
      const project =
        item.project === undefined
          ? undefined
          : reader.string(item.project, `${keyPath}:need:project`, reader.at(item, 'project'));
      const ref =
        item.ref === undefined
          ? undefined
          : reader.string(item.ref, `${keyPath}:need:ref`, reader.at(item, 'ref'));
      if (item.project !== undefined && item.ref === undefined)
        reader.fail(`${keyPath}:need`, 'ref should be a string (needs:project needs a ref)', itemAt);
      if (job === undefined || artifacts === undefined) continue;
      needs.push({
        job,
        artifacts,
        optional: false,
        ...(pipeline !== undefined ? { pipeline } : {}),
        ...(project !== undefined ? { project } : {}),
        ...(ref !== undefined ? { ref } : {}),
      });
      continue;
    }
    const optional =
      item.optional === undefined ? false : reader.boolean(item.optional, `${keyPath}:need:optional`, itemAt);
    let matrix: Record<string, string[]>[] | undefined;
    if (item.parallel !== undefined) {
      const parallel = isYamlMap(item.parallel) ? item.parallel : undefined;
      matrix = parallel
        ? readMatrix(reader, parallel.matrix, `${keyPath}:need:parallel:matrix`, itemAt)
        : undefined;
      if (!parallel) reader.fail(`${keyPath}:need:parallel`, 'config should be a hash with a matrix', itemAt);
    }
    if (job === undefined || artifacts === undefined || optional === undefined) continue;
    needs.push({ job, artifacts, optional, ...(matrix ? { matrix } : {}) });
  }
  if (needs.length > 50) reader.fail(keyPath, 'config has too many entries (maximum is 50)', at);
  return needs;
}

/** `matrix:` entries: variable name → one value or a list of values. */
export function readMatrix(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): Record<string, string[]>[] | undefined {
  if (!Array.isArray(value) || value.length === 0)
    return reader.fail(keyPath, 'config should be an array of hashes', at);
  const entries: Record<string, string[]>[] = [];
  for (const [index, item] of value.entries()) {
    if (!isYamlMap(item)) {
      reader.fail(keyPath, 'config should be an array of hashes', reader.at(value, index));
      continue;
    }
    const entry: Record<string, string[]> = {};
    for (const [name, raw] of Object.entries(item)) {
      const values = Array.isArray(raw) ? raw : [raw];
      // GitLab's alphanumeric check: a String, Symbol or Integer (not a Float nor a boolean).
      const texts = values.map((each) =>
        typeof each === 'boolean' || each instanceof RubyFloat ? undefined : scalarText(each),
      );
      if (values.length === 0 || texts.some((text) => text === undefined)) {
        reader.fail(
          `${keyPath}:${name}`,
          'config should be a string, a number or an array of them',
          reader.at(item, name),
        );
        continue;
      }
      entry[name] = texts as string[];
    }
    entries.push(entry);
  }
  return entries;
}

const ONLY_REFS_KEYS = ['refs', 'variables', 'changes', 'kubernetes'];

/** `only:`/`except:`: a list of refs, or `{refs, variables, changes, kubernetes}`. */
export function readOnlyExcept(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): OnlyExceptDefinition | undefined {
  if (typeof value === 'string') return { refs: [value] };
  if (Array.isArray(value)) {
    const refs = reader.stringList(value, keyPath, at);
    return refs ? { refs } : undefined;
  }
  if (!isYamlMap(value)) return reader.fail(keyPath, 'config should be an array of strings or a hash', at);
  reader.checkKeys(value, ONLY_REFS_KEYS, keyPath);
  const result: { -readonly [K in keyof OnlyExceptDefinition]: OnlyExceptDefinition[K] } = {};
  if (value.refs !== undefined)
    result.refs = reader.stringList(value.refs, `${keyPath}:refs`, reader.at(value, 'refs'), true);
  if (value.variables !== undefined) {
    const variables = reader.stringList(
      value.variables,
      `${keyPath}:variables`,
      reader.at(value, 'variables'),
    );
    for (const expression of variables ?? []) {
      const problem = reader.expressions.syntaxError(expression);
      if (problem) reader.fail(`${keyPath}:variables`, problem, reader.at(value, 'variables'));
    }
    if (variables) result.variables = variables;
  }
  if (value.changes !== undefined) {
    const changes = isYamlMap(value.changes) ? value.changes.paths : value.changes;
    result.changes = reader.stringList(changes, `${keyPath}:changes`, reader.at(value, 'changes'), true);
  }
  if (value.kubernetes !== undefined)
    result.kubernetes = reader.string(
      value.kubernetes,
      `${keyPath}:kubernetes`,
      reader.at(value, 'kubernetes'),
    );
  return result;
}

export { RULE_KEYS };
