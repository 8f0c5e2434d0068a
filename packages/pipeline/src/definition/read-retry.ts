import { isYamlMap, type YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { Reader } from './reader.js';
import type { RetryDefinition } from './types.js';

/** GitLab's failure reasons that `retry:when` may name (`Ci::Build.failure_reasons` and `always`). */
const RETRY_WHEN = [
  'always',
  'unknown_failure',
  'script_failure',
  'api_failure',
  'stuck_or_timeout_failure',
  'stuck_pending_with_matching_runners',
  'stuck_pending_no_matching_runners',
  'no_updates_running',
  'no_updates_canceling',
  'server_timeout_running',
  'server_timeout_canceling',
  'runner_system_failure',
  'runner_configuration_error',
  'runner_external_dependency_failure',
  'runner_interrupted',
  'runner_unsupported',
  'stale_schedule',
  'job_execution_timeout',
  'job_execution_server_timeout',
  'archived_failure',
  'unmet_prerequisites',
  'scheduler_failure',
  'data_integrity_failure',
];

/** `retry:`: an integer from 0 to 2, or `{max, when, exit_codes}` (GitLab's `Entry::Retry` messages). */
export function readRetry(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): RetryDefinition | undefined {
  if (!isYamlMap(value)) {
    if (typeof value !== 'number')
      return reader.fail(keyPath, 'config has to be either an integer or a hash', at);
    if (value < 0) return reader.fail(keyPath, 'config must be greater than or equal to 0', at);
    if (value > 2) return reader.fail(keyPath, 'config must be less than or equal to 2', at);
    return { max: value };
  }
  reader.checkKeys(value, ['max', 'when', 'exit_codes'], keyPath);
  let max: number | undefined = 0;
  if (value.max !== undefined && value.max !== null) {
    const raw = value.max;
    if (typeof raw !== 'number') max = reader.fail(keyPath, 'max must be an integer', at);
    else if (raw < 0) max = reader.fail(keyPath, 'max must be greater than or equal to 0', at);
    else if (raw > 2) max = reader.fail(keyPath, 'max must be less than or equal to 2', at);
    else max = raw;
  }
  let when: string[] | undefined;
  if (value.when !== undefined && value.when !== null) {
    const raw = value.when;
    const list = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(list) || !list.every((each) => typeof each === 'string'))
      reader.fail(keyPath, 'when should be an array of strings or a string', at);
    else {
      const unknown = (list as string[]).filter((reason) => !RETRY_WHEN.includes(reason));
      if (unknown.length > 0)
        reader.fail(
          keyPath,
          typeof raw === 'string'
            ? 'when is not included in the list'
            : `when contains unknown values: ${unknown.join(', ')}`,
          at,
        );
      else when = list as string[];
    }
  }
  const codes =
    value.exit_codes === undefined || value.exit_codes === null
      ? undefined
      : typeof value.exit_codes === 'number'
        ? [value.exit_codes]
        : value.exit_codes;
  if (codes !== undefined && !(Array.isArray(codes) && codes.every((code) => typeof code === 'number')))
    reader.fail(keyPath, 'exit codes should be an array of integers or an integer', at);
  if (max === undefined) return undefined;
  return {
    max,
    ...(when ? { when } : {}),
    ...(Array.isArray(codes) ? { exitCodes: codes as number[] } : {}),
  };
}
