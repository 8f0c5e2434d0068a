import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { type Environment, expandEnvironment } from './env.js';
import { ConfigError, type ConfigIssue, formatKeyPath } from './errors.js';
import { toConfigIssues } from './issues.js';
import {
  glciHome as defaultGlciHome,
  findProjectConfig,
  GLOBAL_CONFIG_NAME,
  resolveConfigPath,
} from './locations.js';
import { inheritDiscriminators, mergeConfigLayers } from './merge.js';
import { configSchema, type GlciConfig } from './schema.js';
import { describeTomlError } from './toml-syntax-error.js';
import { userOnlyViolations, valueAt } from './user-only.js';

/**
 * How the configuration is validated. `jitless`: zod 4 otherwise compiles each object schema's
 * fast path with `new Function` on its first parse; code made that way is compiled again in every
 * process (V8's code cache never holds it), and a glci process parses its configuration once or
 * twice, so compiling cost more than it saved: on a warm `glci show` of the bench's GitLab project,
 * 0.40 s of CPU with the compiled parsers, 0.34 s without. The result is the same either way.
 */
const PARSE_OPTIONS = { reportInput: true, jitless: true } as const;

export interface LoadConfigOptions {
  /** Where to start looking for `.glciconfig.toml`; defaults to `process.cwd()`. */
  readonly cwd?: string;
  /** The environment for `$VAR` references, `GLCI_HOME` and defaults; defaults to `process.env`. */
  readonly env?: Environment;
  /** The user's home directory; defaults to `os.homedir()`. */
  readonly home?: string;
  /** Overrides the user file (`$GLCI_HOME/config.toml`). */
  readonly globalFile?: string;
  /** Overrides the project file; `null` disables the search. */
  readonly projectFile?: string | null;
}

export interface LoadedConfig {
  readonly config: GlciConfig;
  /** The files that were read, in merge order. */
  readonly sources: { readonly global?: string; readonly project?: string };
  readonly glciHome: string;
}

interface Layer {
  readonly file: string;
  readonly data: Record<string, unknown>;
}

/** Loads, validates and merges the user file and the project file. Throws `ConfigError`. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const home = options.home ?? os.homedir();
  const glciHome = defaultGlciHome(env, home);
  const globalFile = options.globalFile ?? path.join(glciHome, GLOBAL_CONFIG_NAME);
  const projectFile =
    options.projectFile === null
      ? undefined
      : (options.projectFile ?? findProjectConfig(options.cwd ?? process.cwd()));

  const issues: ConfigIssue[] = [];
  const globalLayer = readLayer(globalFile, env, { kind: 'user' }, issues);
  const projectLayer = projectFile
    ? readLayer(projectFile, env, { kind: 'project', base: globalLayer?.data ?? {} }, issues)
    : undefined;
  if (issues.length > 0) throw new ConfigError(issues);

  const merged = mergeConfigLayers(globalLayer?.data ?? {}, projectLayer?.data ?? {});
  const result = configSchema.safeParse(merged, PARSE_OPTIONS);
  if (!result.success) throw new ConfigError(toConfigIssues(result.error.issues, configSchema, undefined));

  const config = resolvePaths(result.data, { glciHome, home, globalLayer, projectLayer });
  return {
    config,
    sources: {
      ...(globalLayer ? { global: globalLayer.file } : {}),
      ...(projectLayer ? { project: projectLayer.file } : {}),
    },
    glciHome,
  };
}

/** Parses and validates one TOML document on its own (no merge, no files). Throws `ConfigError`. */
export function parseConfig(text: string, options: { file?: string; env?: Environment } = {}): GlciConfig {
  const file = options.file ?? '<config>';
  const issues: ConfigIssue[] = [];
  const data = parseLayerText(text, file, options.env ?? process.env, { kind: 'user' }, issues);
  if (issues.length > 0 || !data) throw new ConfigError(issues);
  const result = configSchema.safeParse(data, PARSE_OPTIONS);
  if (!result.success) throw new ConfigError(toConfigIssues(result.error.issues, configSchema, file));
  return result.data;
}

/** The user file stands alone; the project file is read on top of the user file's data. */
type LayerKind =
  | { readonly kind: 'user' }
  | { readonly kind: 'project'; readonly base: Record<string, unknown> };

function readLayer(
  file: string,
  env: Environment,
  layer: LayerKind,
  issues: ConfigIssue[],
): Layer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    issues.push({ file, key: '', message: `cannot be read (${code ?? (error as Error).message})` });
    return undefined;
  }
  const data = parseLayerText(text, file, env, layer, issues);
  return data ? { file, data } : undefined;
}

function parseLayerText(
  text: string,
  file: string,
  env: Environment,
  layer: LayerKind,
  issues: ConfigIssue[],
): Record<string, unknown> | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      issues.push({ file, ...describeTomlError(text, error) });
      return undefined;
    }
    throw error;
  }

  const before = issues.length;
  if (layer.kind === 'project') issues.push(...userOnlyViolations(raw, file));

  const { value, unset } = expandEnvironment(raw, env);
  for (const { path: keyPath, variable } of unset) {
    issues.push({
      file,
      key: formatKeyPath(keyPath),
      message: `environment variable ${variable} is not set (referenced as "$${variable}")`,
    });
  }

  // Validate each file on its own so that every problem is reported against the file it is in.
  const standalone = layer.kind === 'project' ? inheritDiscriminators(layer.base, value) : value;
  const result = configSchema.safeParse(standalone, PARSE_OPTIONS);
  if (!result.success) issues.push(...toConfigIssues(result.error.issues, configSchema, file));
  return issues.length > before ? undefined : (value as Record<string, unknown>);
}

function resolvePaths(
  config: GlciConfig,
  context: {
    glciHome: string;
    home: string;
    globalLayer: Layer | undefined;
    projectLayer: Layer | undefined;
  },
): GlciConfig {
  // A relative path is relative to the file that set it; defaults live under GLCI_HOME.
  const fileOf = (keyPath: readonly string[]) =>
    context.projectLayer && valueAt(context.projectLayer.data, keyPath) !== undefined
      ? context.projectLayer.file
      : context.globalLayer && valueAt(context.globalLayer.data, keyPath) !== undefined
        ? context.globalLayer.file
        : path.join(context.glciHome, GLOBAL_CONFIG_NAME);
  const resolve = (value: string, keyPath: readonly string[]) =>
    resolveConfigPath(value, {
      glciHome: context.glciHome,
      home: context.home,
      relativeTo: path.dirname(fileOf(keyPath)),
    });

  const storage = config.registry.storage;
  const docker = { ...config.docker };
  for (const key of ['tls_cert_path', 'tls_ca_cert', 'tls_cert', 'tls_key'] as const) {
    const value = docker[key];
    if (value !== undefined) docker[key] = resolve(value, ['docker', key]);
  }
  return {
    ...config,
    docker,
    projects: Object.fromEntries(
      Object.entries(config.projects).map(([name, mapping]) => [
        name,
        mapping.dir === undefined
          ? mapping
          : { ...mapping, dir: resolve(mapping.dir, ['projects', name, 'dir']) },
      ]),
    ),
    network: {
      ...config.network,
      daemon_socket: resolve(config.network.daemon_socket, ['network', 'daemon_socket']),
    },
    daemon: {
      ...config.daemon,
      socket: resolve(config.daemon.socket, ['daemon', 'socket']),
      log_file: resolve(config.daemon.log_file, ['daemon', 'log_file']),
    },
    gitlab: config.gitlab.ca_file
      ? { ...config.gitlab, ca_file: resolve(config.gitlab.ca_file, ['gitlab', 'ca_file']) }
      : config.gitlab,
    registry: {
      ...config.registry,
      storage:
        storage.driver === 'filesystem'
          ? { ...storage, root: resolve(storage.root, ['registry', 'storage', 'root']) }
          : storage.driver === 's3' && storage.local_cache
            ? {
                ...storage,
                local_cache: {
                  ...storage.local_cache,
                  dir: resolve(storage.local_cache.dir, ['registry', 'storage', 'local_cache', 'dir']),
                },
              }
            : storage,
    },
  };
}
