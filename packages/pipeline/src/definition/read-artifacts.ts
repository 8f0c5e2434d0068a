import { isYamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import { parseHumanDuration } from './duration.js';
import type { Reader } from './reader.js';
import type { ArtifactsDefinition } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const ARTIFACT_WHEN = ['on_success', 'on_failure', 'always'];
const ARTIFACT_KEYS = [
  'name',
  'paths',
  'exclude',
  'untracked',
  'when',
  'expire_in',
  'expose_as',
  'public',
  'access',
  'reports',
];
const REPORTS = [
  'accessibility',
  'annotations',
  'api_fuzzing',
  'browser_performance',
  'coverage_report',
  'codequality',
  'container_scanning',
  'coverage_fuzzing',
  'cyclonedx',
  'dast',
  'dependency_scanning',
  'dotenv',
  'junit',
  'license_scanning',
  'load_performance',
  'metrics',
  'requirements',
  'sast',
  'secret_detection',
  'terraform',
  'performance',
  'repository_xray',
];

export function readArtifacts(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): ArtifactsDefinition | undefined {
  const artifacts = reader.map(value, keyPath, at);
  if (!artifacts) return undefined;
  reader.checkKeys(artifacts, ARTIFACT_KEYS, keyPath);
  const result: Mutable<ArtifactsDefinition> = {};
  if (artifacts.name !== undefined)
    result.name = reader.text(artifacts.name, `${keyPath}:name`, reader.at(artifacts, 'name'));
  if (artifacts.paths !== undefined)
    result.paths = reader.stringList(artifacts.paths, `${keyPath}:paths`, reader.at(artifacts, 'paths'));
  if (artifacts.exclude !== undefined)
    result.exclude = reader.stringList(
      artifacts.exclude,
      `${keyPath}:exclude`,
      reader.at(artifacts, 'exclude'),
    );
  if (artifacts.untracked !== undefined)
    result.untracked = reader.boolean(
      artifacts.untracked,
      `${keyPath}:untracked`,
      reader.at(artifacts, 'untracked'),
    );
  if (artifacts.public !== undefined)
    result.public = reader.boolean(artifacts.public, `${keyPath}:public`, reader.at(artifacts, 'public'));
  if (artifacts.expose_as !== undefined)
    result.exposeAs = reader.string(
      artifacts.expose_as,
      `${keyPath}:expose_as`,
      reader.at(artifacts, 'expose_as'),
    );
  if (artifacts.when !== undefined) {
    if (typeof artifacts.when === 'string' && ARTIFACT_WHEN.includes(artifacts.when))
      result.when = artifacts.when as ArtifactsDefinition['when'];
    else
      reader.fail(
        `${keyPath}:when`,
        'config should be on_success, on_failure or always',
        reader.at(artifacts, 'when'),
      );
  }
  if (artifacts.expire_in !== undefined) {
    const expireIn = reader.text(
      artifacts.expire_in,
      `${keyPath}:expire_in`,
      reader.at(artifacts, 'expire_in'),
    );
    if (expireIn !== undefined && expireIn !== 'never' && parseHumanDuration(expireIn) === undefined)
      reader.fail(`${keyPath}:expire_in`, 'config should be a duration', reader.at(artifacts, 'expire_in'));
    else if (expireIn !== undefined) result.expireIn = expireIn;
  }
  if (artifacts.reports !== undefined) {
    const reports = reader.map(artifacts.reports, `${keyPath}:reports`, reader.at(artifacts, 'reports'));
    if (reports) {
      reader.checkKeys(reports, REPORTS, `${keyPath}:reports`);
      const parsed: Record<string, string[]> = {};
      for (const [type, files] of Object.entries(reports)) {
        if (!REPORTS.includes(type)) continue;
        if (type === 'coverage_report') {
          if (isYamlMap(files) && typeof files.path === 'string') parsed[type] = [files.path];
          else
            reader.fail(
              `${keyPath}:reports:coverage_report`,
              'config should be a hash with coverage_format and path',
              reader.at(reports, type),
            );
          continue;
        }
        const list = reader.stringList(files, `${keyPath}:reports:${type}`, reader.at(reports, type), true);
        if (list) parsed[type] = list;
      }
      result.reports = parsed;
    }
  }
  return result;
}
