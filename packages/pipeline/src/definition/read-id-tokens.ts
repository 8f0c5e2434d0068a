import type { YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { Reader } from './reader.js';
import type { IdTokensDefinition } from './types.js';

/** `id_tokens:`: each token a hash with `aud`, a string or an array of strings (GitLab's `IdToken`). */
export function readIdTokens(
  reader: Reader,
  value: YamlValue | undefined,
  keyPath: string,
  at: SourceLocation | undefined,
): IdTokensDefinition | undefined {
  const map = reader.map(value, keyPath, at);
  if (!map) return undefined;
  const tokens: Record<string, { aud: string | readonly string[] }> = {};
  for (const [name, token] of Object.entries(map)) {
    const path = `${keyPath}:${name}`;
    const where = reader.at(map, name);
    const config = reader.map(token, path, where);
    if (!config) continue;
    reader.checkKeys(config, ['aud'], path);
    const aud = config.aud;
    if (aud === undefined) reader.fail(path, 'config missing required keys: aud', where);
    else if (typeof aud === 'string' && aud !== '') tokens[name] = { aud };
    else if (Array.isArray(aud) && aud.length > 0 && aud.every((each) => typeof each === 'string'))
      tokens[name] = { aud: aud as string[] };
    else
      reader.fail(path, 'aud should be an array of strings or a string', reader.at(config, 'aud') ?? where);
  }
  return tokens;
}
