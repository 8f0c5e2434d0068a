import { isPlainObject } from './env.js';
import { type ConfigIssue, formatKeyPath } from './errors.js';
import { isSecretKey } from './redact.js';
import { RUNNER_USER_ONLY_KEYS } from './runners-schema.js';

/**
 * Keys a project file may not set: a repository's `.glciconfig.toml` must not redirect pushes or
 * stored images, nor receive credentials (it could name any `$VAR` of the user's environment as a
 * password and send it to a server of its choosing).
 */
const USER_ONLY_KEYS: readonly (readonly string[])[] = [
  ['registry', 'url'],
  ['registry', 'username'],
  ['registry', 'password'],
  ['registry', 'upstream'],
  ['registry', 'storage', 'endpoint'],
  ['registry', 'storage', 'access_key_id'],
  // These containers get the Docker socket: a repository may not choose what runs there.
  ['runner', 'image'],
  ['runner', 'helper_image'],
  ['mock', 'image'],
  // Where gigabytes land on the user's disk, and where the cache deletes files, is the user's call.
  ['registry', 'storage', 'local_cache'],
  // Which Docker engine runs everything (and gets the user's registry credentials inside the
  // mock), with which client certificate, and which host socket runner containers get.
  ['docker', 'host'],
  ['docker', 'tls_verify'],
  ['docker', 'tls_cert_path'],
  ['docker', 'tls_ca_cert'],
  ['docker', 'tls_cert'],
  ['docker', 'tls_key'],
  ['docker', 'container_socket'],
  // The user's GitLab token goes to this instance: a repository may not redirect it elsewhere.
  ['gitlab', 'url'],
  ['gitlab', 'ca_file'],
];
/** Under each `[[registry.upstreams]]`. */
const USER_ONLY_UPSTREAM_KEYS = ['username', 'password'];

export const USER_ONLY_MESSAGE =
  'may only be set in the user config ($GLCI_HOME/config.toml), not in a project file';

const PRIVILEGED_ON_MESSAGE =
  'may only be turned on in the user config ($GLCI_HOME/config.toml); a project file may set it to false';

/** Every user-only key a project file sets, plus any secret-named key (`password`, `token`, ...) anywhere. */
export function userOnlyViolations(raw: Record<string, unknown>, file: string): ConfigIssue[] {
  const keys = new Set<string>();
  for (const keyPath of USER_ONLY_KEYS) {
    if (valueAt(raw, keyPath) !== undefined) keys.add(formatKeyPath(keyPath));
  }
  const upstreams = valueAt(raw, ['registry', 'upstreams']);
  if (Array.isArray(upstreams)) {
    upstreams.forEach((upstream, index) => {
      if (!isPlainObject(upstream)) return;
      for (const key of USER_ONLY_UPSTREAM_KEYS) {
        if (upstream[key] !== undefined) keys.add(formatKeyPath(['registry', 'upstreams', index, key]));
      }
    });
  }
  // A project may turn privileged containers off for its jobs, never on against the user's choice.
  const privilegedOn = new Set<string>();
  if (valueAt(raw, ['docker', 'privileged']) === true) privilegedOn.add('docker.privileged');
  for (const runnersPath of runnerTablePaths(raw)) {
    const runners = valueAt(raw, runnersPath);
    if (!isPlainObject(runners)) continue;
    for (const [name, entry] of Object.entries(runners)) {
      if (!isPlainObject(entry)) continue;
      for (const key of RUNNER_USER_ONLY_KEYS) {
        if (entry[key] !== undefined) keys.add(formatKeyPath([...runnersPath, name, key]));
      }
      if (entry.privileged === true) privilegedOn.add(formatKeyPath([...runnersPath, name, 'privileged']));
    }
  }
  for (const key of privilegedOn) keys.add(key);
  for (const keyPath of secretKeyPaths(raw, [])) {
    // `[registry.upstream]` as a whole is already reported; its password need not be again.
    if (![...keys].some((reported) => keyPath.startsWith(`${reported}.`))) keys.add(keyPath);
  }
  return [...keys].map((key) => ({
    file,
    key,
    message: privilegedOn.has(key) ? PRIVILEGED_ON_MESSAGE : USER_ONLY_MESSAGE,
  }));
}

/** `runners` and every `projects."group/proj".runners`: the tables of runner entries. */
function runnerTablePaths(raw: Record<string, unknown>): string[][] {
  const projects = valueAt(raw, ['projects']);
  const projectNames = isPlainObject(projects) ? Object.keys(projects) : [];
  return [['runners'], ...projectNames.map((name) => ['projects', name, 'runners'])];
}

function secretKeyPaths(node: unknown, path: readonly (string | number)[]): string[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => secretKeyPaths(item, [...path, index]));
  if (!isPlainObject(node)) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    isSecretKey(key) ? [formatKeyPath([...path, key])] : secretKeyPaths(value, [...path, key]),
  );
}

export function valueAt(data: unknown, keyPath: readonly string[]): unknown {
  let node = data;
  for (const key of keyPath) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}
