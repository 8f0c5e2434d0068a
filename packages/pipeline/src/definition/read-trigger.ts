import { readIncludeEntries } from '../config/include-entries.js';
import { isYamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { Reader } from './reader.js';
import type { ChildInclude, TriggerDefinition } from './types.js';

export function readTrigger(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): TriggerDefinition | undefined {
  if (typeof value === 'string')
    return { kind: 'project', project: value, forward: { yamlVariables: true, pipelineVariables: false } };
  const trigger = reader.map(value, keyPath, at);
  if (!trigger) return undefined;
  reader.checkKeys(trigger, ['include', 'project', 'branch', 'strategy', 'forward', 'inputs'], keyPath);
  let strategy: 'depend' | undefined;
  if (trigger.strategy !== undefined) {
    if (trigger.strategy === 'depend') strategy = 'depend';
    else reader.fail(`${keyPath}:strategy`, 'config should be depend', reader.at(trigger, 'strategy'));
  }
  const forwardMap =
    trigger.forward === undefined
      ? {}
      : reader.map(trigger.forward, `${keyPath}:forward`, reader.at(trigger, 'forward'));
  if (forwardMap)
    reader.checkKeys(forwardMap, ['yaml_variables', 'pipeline_variables'], `${keyPath}:forward`);
  const forward = {
    yamlVariables: forwardMap?.yaml_variables !== false,
    pipelineVariables: forwardMap?.pipeline_variables === true,
  };
  const common = { forward, ...(strategy ? { strategy } : {}) };
  if (trigger.project !== undefined) {
    if (trigger.include !== undefined)
      return reader.fail(keyPath, 'config should contain either project or include', at);
    const project = reader.string(trigger.project, `${keyPath}:project`, reader.at(trigger, 'project'));
    const branch =
      trigger.branch === undefined
        ? undefined
        : reader.text(trigger.branch, `${keyPath}:branch`, reader.at(trigger, 'branch'));
    return project === undefined
      ? undefined
      : { kind: 'project', project, ...(branch ? { branch } : {}), ...common };
  }
  if (trigger.include === undefined)
    return reader.fail(keyPath, 'config should contain either project or include', at);
  const triggerInputs = isYamlMap(trigger.inputs) ? trigger.inputs : undefined;
  const entries = readIncludeEntries(trigger.include, trigger, reader.sourceMap, reader.issues, {
    keyPath: `${keyPath}:include`,
    allowArtifact: true,
  });
  // Inputs written on the trigger itself apply to each include that has none of its own.
  const includes: ChildInclude[] = entries.map((entry) =>
    entry.inputs === undefined && triggerInputs ? { ...entry, inputs: triggerInputs } : entry,
  );
  const count = Array.isArray(trigger.include) ? trigger.include.length : 1;
  if (count > 3) reader.fail(`${keyPath}:include`, 'config has too many entries (maximum is 3)', at);
  return { kind: 'child', include: includes, ...common };
}
