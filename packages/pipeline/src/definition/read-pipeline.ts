import { didYouMean } from '@glci/config';
import { IssueCollector } from '../errors.js';
import { isYamlMap, type YamlMap } from '../yaml/load-yaml.js';
import type { SourceMap } from '../yaml/source-map.js';
import { parseHumanDuration } from './duration.js';
import { readJob } from './read-job.js';
import {
  DEFAULT_KEYWORDS,
  readArtifacts,
  readCaches,
  readIdTokens,
  readImage,
  readRetry,
  readServices,
} from './read-keywords.js';
import { readRules } from './read-rules.js';
import { Reader } from './reader.js';
import type { DefaultsDefinition, PipelineDefinition, WorkflowDefinition } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Top-level keys that are not jobs. */
export const GLOBAL_KEYWORDS = [
  'default',
  'include',
  'stages',
  'variables',
  'workflow',
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
  'types',
];
export const DEFAULT_STAGES = ['build', 'test', 'deploy'];

/**
 * Validates the configuration (after includes, `extends` and `!reference`) and normalizes it into a
 * `PipelineDefinition`. Every problem is collected, then thrown together as a
 * `PipelineConfigError` with file:line:column, key path and GitLab's wording.
 */
export function readPipelineDefinition(
  content: YamlMap,
  sourceMap: SourceMap,
  warnings: string[],
): PipelineDefinition {
  const issues = new IssueCollector();
  const reader = new Reader(sourceMap, issues);

  const stagesValue = content.stages ?? content.types;
  let stages = DEFAULT_STAGES;
  if (stagesValue !== undefined && stagesValue !== null) {
    stages = reader.stringList(stagesValue, 'stages', reader.at(content, 'stages')) ?? DEFAULT_STAGES;
  }
  const withEdges = ['.pre', ...stages.filter((stage) => stage !== '.pre' && stage !== '.post'), '.post'];
  if (stages.includes('.pre') && stages[0] !== '.pre')
    reader.fail('stages', '.pre must be the first stage', reader.at(content, 'stages'));
  if (stages.includes('.post') && stages.at(-1) !== '.post')
    reader.fail('stages', '.post must be the last stage', reader.at(content, 'stages'));

  const defaults = readDefaults(reader, content);
  const variables = reader.variables(content.variables, 'variables', reader.at(content, 'variables'), true);
  const workflow = content.workflow === undefined ? undefined : readWorkflow(reader, content);

  const jobs = [];
  const names = new Set<string>();
  for (const [name, value] of Object.entries(content)) {
    if (GLOBAL_KEYWORDS.includes(name) || name.startsWith('.')) continue;
    const at = reader.at(content, name);
    if (!isYamlMap(value)) {
      const suggestion = didYouMean(name, GLOBAL_KEYWORDS);
      reader.fail(
        `jobs:${name}`,
        `config should be a hash${suggestion ? ` (or did you mean the "${suggestion}" keyword?)` : ''}`,
        at,
      );
      continue;
    }
    if (name.length > 255)
      reader.fail(`jobs:${name.slice(0, 40)}…`, 'job name is too long (maximum is 255 characters)', at);
    const job = readJob(reader, name, value, content, warnings);
    if (!job) continue;
    if (!withEdges.includes(job.stage))
      reader.fail(
        '',
        `${name} job: chosen stage ${job.stage} does not exist; available stages are ${withEdges.join(', ')}`,
        reader.at(value, 'stage') ?? at,
      );
    names.add(name);
    jobs.push(job);
  }
  if (jobs.length === 0 && issues.empty)
    reader.fail('', 'jobs config should contain at least one visible job', sourceMap.locationOf(content));
  issues.throwIfAny();
  return { stages: withEdges, variables, defaults, ...(workflow ? { workflow } : {}), jobs };
}

function readDefaults(reader: Reader, content: YamlMap): DefaultsDefinition {
  const defaults: Mutable<DefaultsDefinition> = {};
  // The deprecated top-level globals first, then `default:` on top.
  const sources: { map: YamlMap; prefix: string }[] = [{ map: content, prefix: '' }];
  if (content.default !== undefined) {
    const map = reader.map(content.default, 'default', reader.at(content, 'default'));
    if (map) {
      reader.checkKeys(map, DEFAULT_KEYWORDS, 'default');
      if (map.id_tokens !== undefined) {
        const tokens = readIdTokens(reader, map.id_tokens, 'default:id_tokens', reader.at(map, 'id_tokens'));
        if (tokens) defaults.idTokens = tokens;
      }
      sources.push({ map, prefix: 'default:' });
    }
  }
  for (const { map, prefix } of sources) {
    const at = (key: string) => reader.at(map, key);
    const isDefault = prefix !== '';
    if (map.image != null) defaults.image = readImage(reader, map.image, `${prefix}image`, at('image'));
    if (map.services != null)
      defaults.services = readServices(reader, map.services, `${prefix}services`, at('services'));
    if (map.before_script != null)
      defaults.beforeScript = reader.script(map.before_script, `${prefix}before_script`, at('before_script'));
    if (map.after_script != null)
      defaults.afterScript = reader.script(map.after_script, `${prefix}after_script`, at('after_script'));
    if (map.cache !== undefined)
      defaults.cache = readCaches(reader, map.cache, `${prefix}cache`, at('cache'));
    if (!isDefault) continue;
    if (map.artifacts != null)
      defaults.artifacts = readArtifacts(reader, map.artifacts, 'default:artifacts', at('artifacts'));
    if (map.retry != null) defaults.retry = readRetry(reader, map.retry, 'default:retry', at('retry'));
    if (map.timeout != null) {
      const timeout = reader.text(map.timeout, 'default:timeout', at('timeout'));
      if (timeout !== undefined && parseHumanDuration(timeout) === undefined)
        reader.fail('default:timeout', 'config should be a duration', at('timeout'));
      else if (timeout !== undefined) defaults.timeout = timeout;
    }
    if (map.interruptible != null)
      defaults.interruptible = reader.boolean(
        map.interruptible,
        'default:interruptible',
        at('interruptible'),
      );
    if (map.tags != null) defaults.tags = reader.stringList(map.tags, 'default:tags', at('tags'));
    if (isYamlMap(map.hooks)) {
      const lines = reader.script(
        map.hooks.pre_get_sources_script,
        'default:hooks:pre_get_sources_script',
        at('hooks'),
      );
      if (lines) defaults.hooks = { pre_get_sources_script: lines };
    }
  }
  return defaults;
}

function readWorkflow(reader: Reader, content: YamlMap): WorkflowDefinition | undefined {
  const workflow = reader.map(content.workflow, 'workflow', reader.at(content, 'workflow'));
  if (!workflow) return undefined;
  reader.checkKeys(workflow, ['rules', 'name', 'auto_cancel'], 'workflow');
  const result: Mutable<WorkflowDefinition> = {};
  if (workflow.name !== undefined) {
    const name = reader.text(workflow.name, 'workflow:name', reader.at(workflow, 'name'));
    if (name !== undefined && name.length > 255)
      reader.fail('workflow:name', 'is too long (maximum is 255 characters)', reader.at(workflow, 'name'));
    else if (name !== undefined) result.name = name;
  }
  if (workflow.rules !== undefined && workflow.rules !== null)
    result.rules = readRules(reader, workflow.rules, 'workflow:rules', reader.at(workflow, 'rules'), {
      when: ['always', 'never'],
      keys: ['variables', 'auto_cancel'],
    });
  if (isYamlMap(workflow.auto_cancel)) {
    reader.checkKeys(workflow.auto_cancel, ['on_new_commit', 'on_job_failure'], 'workflow:auto_cancel');
    result.autoCancel = {
      ...(typeof workflow.auto_cancel.on_new_commit === 'string'
        ? { onNewCommit: workflow.auto_cancel.on_new_commit }
        : {}),
      ...(typeof workflow.auto_cancel.on_job_failure === 'string'
        ? { onJobFailure: workflow.auto_cancel.on_job_failure }
        : {}),
    };
  }
  return result;
}
