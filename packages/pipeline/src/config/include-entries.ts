import { didYouMean } from '@glci/config';
import type { IssueCollector } from '../errors.js';
import { isYamlMap, type YamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation, SourceMap } from '../yaml/source-map.js';

/**
 * One `include:` entry after normalization (strings become `local` or `remote`). `artifact` (a
 * file an earlier job of the parent pipeline generated) is only valid in `trigger: include:`.
 */
export type IncludeEntry =
  | ({ readonly kind: 'local'; readonly path: string } & IncludeCommon)
  | ({
      readonly kind: 'project';
      readonly project: string;
      readonly files: readonly string[];
      readonly ref?: string;
    } & IncludeCommon)
  | ({
      readonly kind: 'remote';
      readonly url: string;
      /** `integrity:` (SRI `sha256-<base64>`): the file is refused when its content hashes otherwise. */
      readonly integrity?: string;
    } & IncludeCommon)
  | ({ readonly kind: 'template'; readonly name: string } & IncludeCommon)
  | ({ readonly kind: 'component'; readonly reference: string } & IncludeCommon)
  | ({ readonly kind: 'artifact'; readonly artifact: string; readonly job: string } & IncludeCommon);

export type IncludeKind = IncludeEntry['kind'];

interface IncludeCommon {
  readonly rules?: YamlValue;
  readonly inputs?: YamlMap;
  readonly location: SourceLocation | undefined;
  readonly keyPath: string;
}

const KEYS: Record<IncludeKind, readonly string[]> = {
  local: ['local', 'rules', 'inputs'],
  project: ['project', 'file', 'ref', 'rules', 'inputs'],
  remote: ['remote', 'rules', 'inputs', 'integrity', 'cache'],
  template: ['template', 'rules', 'inputs'],
  component: ['component', 'rules', 'inputs'],
  artifact: ['artifact', 'job', 'rules', 'inputs'],
};

export interface ReadIncludeOptions {
  /** The key path of the `include` key (`include`, `jobs:x:trigger:include`). */
  readonly keyPath?: string;
  /** `trigger: include:` also takes `artifact` with `job` (a dynamic child pipeline). */
  readonly allowArtifact?: boolean;
}

/** Reads the `include:` value of one file (a string, a mapping, or a list of either). */
export function readIncludeEntries(
  value: YamlValue,
  holder: YamlMap,
  sourceMap: SourceMap,
  issues: IssueCollector,
  options: ReadIncludeOptions = {},
): IncludeEntry[] {
  const at = sourceMap.entryLocation(holder, 'include');
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  const entries: IncludeEntry[] = [];
  const base = options.keyPath ?? 'include';
  const kinds = (Object.keys(KEYS) as IncludeKind[]).filter(
    (kind) => kind !== 'artifact' || options.allowArtifact,
  );
  items.forEach((item, index) => {
    const keyPath = Array.isArray(value) ? `${base}:${index}` : base;
    const location = (Array.isArray(value) ? sourceMap.entryLocation(value, index) : at) ?? at;
    if (typeof item === 'string') {
      entries.push(
        /^https?:\/\//.test(item)
          ? { kind: 'remote', url: item, location, keyPath }
          : { kind: 'local', path: item, location, keyPath },
      );
      return;
    }
    if (!isYamlMap(item)) {
      issues.add(keyPath, 'config should be a hash, a string or an array containing either', location);
      return;
    }
    const entry = readEntry(item, keyPath, sourceMap.locationOf(item) ?? location, sourceMap, issues, kinds);
    if (entry) entries.push(entry);
  });
  return entries;
}

function readEntry(
  item: YamlMap,
  keyPath: string,
  location: SourceLocation | undefined,
  sourceMap: SourceMap,
  issues: IssueCollector,
  allowed: readonly IncludeKind[],
): IncludeEntry | undefined {
  const allKeys = [...new Set(allowed.flatMap((kind) => KEYS[kind]))];
  const present = allowed.filter((kind) => kind in item);
  if (present.length !== 1) {
    const unknown = Object.keys(item).filter((key) => !allKeys.includes(key));
    const hint = unknown.map((key) => {
      const suggestion = didYouMean(key, allKeys);
      return suggestion ? `${key} (did you mean "${suggestion}"?)` : key;
    });
    issues.add(
      keyPath,
      present.length === 0
        ? `config should contain one of ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}${hint.length ? `; unknown keys: ${hint.join(', ')}` : ''}`
        : `config contains more than one of: ${present.join(', ')}`,
      location,
    );
    return undefined;
  }
  const kind = present[0]!;
  for (const key of Object.keys(item)) {
    if (KEYS[kind].includes(key)) continue;
    const suggestion = didYouMean(key, KEYS[kind]);
    issues.add(
      keyPath,
      `config contains unknown keys: ${key}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      sourceMap.entryLocation(item, key),
    );
  }
  if (item.inputs !== undefined && !isYamlMap(item.inputs)) {
    issues.add(`${keyPath}:inputs`, 'config should be a hash', sourceMap.entryLocation(item, 'inputs'));
    return undefined;
  }
  const common: IncludeCommon = {
    location,
    keyPath,
    ...(item.rules !== undefined ? { rules: item.rules } : {}),
    ...(isYamlMap(item.inputs) ? { inputs: item.inputs } : {}),
  };
  const text = (key: string): string | undefined => {
    const raw = item[key];
    if (typeof raw === 'string' && raw.length > 0) return raw;
    issues.add(
      `${keyPath}:${key}`,
      'config should be a non-empty string',
      sourceMap.entryLocation(item, key),
    );
    return undefined;
  };
  switch (kind) {
    case 'local': {
      const path = text('local');
      return path === undefined ? undefined : { kind, path, ...common };
    }
    case 'project': {
      const project = text('project');
      const raw = item.file;
      const files =
        typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((f) => typeof f === 'string') : [];
      if (files.length === 0 || (Array.isArray(raw) && files.length !== raw.length)) {
        issues.add(
          `${keyPath}:file`,
          'config should be a string or an array of strings',
          sourceMap.entryLocation(item, 'file'),
        );
        return undefined;
      }
      const ref = item.ref === undefined ? undefined : text('ref');
      return project === undefined
        ? undefined
        : { kind, project, files: files as string[], ...(ref ? { ref } : {}), ...common };
    }
    case 'remote': {
      const url = text('remote');
      const integrity = item.integrity === undefined ? undefined : text('integrity');
      return url === undefined ? undefined : { kind, url, ...(integrity ? { integrity } : {}), ...common };
    }
    case 'template': {
      const name = text('template');
      return name === undefined ? undefined : { kind, name, ...common };
    }
    case 'component': {
      const reference = text('component');
      return reference === undefined ? undefined : { kind, reference, ...common };
    }
    case 'artifact': {
      const artifact = text('artifact');
      if (item.job === undefined) {
        issues.add(keyPath, 'config must specify the job where to fetch the artifact from', location);
        return undefined;
      }
      const job = text('job');
      return artifact === undefined || job === undefined ? undefined : { kind, artifact, job, ...common };
    }
  }
}
