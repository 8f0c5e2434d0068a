import { isYamlMap, type YamlValue } from '../yaml/load-yaml.js';
import { RubyFloat } from '../yaml/ruby-scalars.js';
import type { SourceLocation } from '../yaml/source-map.js';
import { readMatrix } from './read-rules.js';
import type { Reader } from './reader.js';
import type { ParallelDefinition } from './types.js';

export function readParallel(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): ParallelDefinition | undefined {
  if (!isYamlMap(value)) {
    if (value instanceof RubyFloat) return reader.fail(keyPath, 'config must be an integer', at);
    if (typeof value !== 'number') return reader.fail(keyPath, 'config should be an integer or a hash', at);
    if (value < 1) return reader.fail(keyPath, 'config must be greater than or equal to 1', at);
    if (value > 200) return reader.fail(keyPath, 'config must be less than or equal to 200', at);
    return { kind: 'count', total: value };
  }
  reader.checkKeys(value, ['matrix'], keyPath);
  if (value.matrix === undefined)
    return reader.fail(keyPath, 'matrix builds config missing required keys: matrix', at);
  const matrix = readMatrix(reader, value.matrix, `${keyPath}:matrix`, reader.at(value, 'matrix') ?? at);
  if (!matrix) return undefined;
  const total = matrix.reduce(
    (sum, entry) => sum + Object.values(entry).reduce((product, values) => product * values.length, 1),
    0,
  );
  if (total > 200)
    return reader.fail(`${keyPath}:matrix`, 'config generates too many jobs (maximum is 200)', at);
  return { kind: 'matrix', matrix };
}
