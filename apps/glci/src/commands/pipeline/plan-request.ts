import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { resolvePreset } from '@glci/config';
import {
  type ContextSpec,
  findRepositoryRoot,
  type LocalSettings,
  PipelineUsageError,
  type PlanProjectOptions,
  parseAssignment,
  parseContextSpec,
  parseEnvFile,
  type VariableLayer,
} from '@glci/pipeline/request';
import type { CliContext } from '../../cli-context.js';
import type { GitlabCliOptions } from './gitlab-planning.js';

// The light entry of @glci/pipeline: `glci run` builds the request here and plans in the daemon,
// so it starts without loading the planner (about 1 s of its start on a loaded machine).

export interface PlanCliOptions extends GitlabCliOptions {
  readonly context?: string;
  readonly mrSource?: string;
  readonly mrTarget?: string;
  readonly preset?: string;
  readonly input?: string[];
  readonly inputsFile?: string;
  readonly env?: string[];
  readonly envFile?: string;
  readonly projectDir?: string[];
  readonly file: string;
  readonly dirty: boolean;
}

/**
 * Turns the command line and the glci config (preset, [skip], [manual], [jobs], [projects]) into a
 * plan request. `repositoryRoot` finds the repository's top level from the working directory (a
 * caller that asks git more at the same time passes its own).
 */
export async function planRequest(
  ctx: CliContext,
  options: PlanCliOptions,
  repositoryRoot: (cwd: string) => Promise<string> = findRepositoryRoot,
): Promise<PlanProjectOptions> {
  const { config } = ctx.config();
  const preset = resolvePreset(config, options.preset);
  const root = await repositoryRoot(ctx.cwd);
  let contextText = options.context ?? preset.context ?? 'merge_request';
  let mrSource = options.mrSource ?? preset.mrSource;
  let mrTarget = options.mrTarget ?? preset.mrTarget;
  const layers: VariableLayer[] = [];
  const named = config.contexts[contextText];
  if (named) {
    contextText = named.context;
    mrSource = options.mrSource ?? named.mr_source ?? mrSource;
    mrTarget = options.mrTarget ?? named.mr_target ?? mrTarget;
    if (named.env)
      layers.push({
        source: 'preset',
        label: `[contexts.${options.context ?? preset.context}].env`,
        entries: Object.entries(named.env).map(([name, value]) => ({ name, value })),
      });
  }
  const context: ContextSpec = parseContextSpec(contextText);
  if (options.env?.length)
    layers.push({ source: 'cli-env', label: '--env', entries: options.env.map(parseAssignmentOrUsage) });
  if (options.envFile)
    layers.push({
      source: 'env-file',
      label: options.envFile,
      entries: parseEnvFile(readText(path.resolve(ctx.cwd, options.envFile), '--env-file')),
    });
  const glciEnv = path.join(root, '.glci.env');
  if (existsSync(glciEnv))
    layers.push({
      source: 'glci-env',
      label: '.glci.env',
      entries: parseEnvFile(readFileSync(glciEnv, 'utf8')),
    });
  if (Object.keys(preset.env).length > 0)
    layers.push({
      source: 'preset',
      label: `[pipelines.${preset.name}].env`,
      entries: Object.entries(preset.env).map(([name, value]) => ({ name, value })),
    });

  const local: LocalSettings = {
    skip: preset.skip,
    manual: preset.manual,
    manualAll: preset.manualAll,
    noManual: preset.noManual,
    noSkipAll: preset.noSkipAll,
    ...(preset.jobs.length ? { onlyJobs: preset.jobs } : {}),
    ...(preset.stages.length ? { onlyStages: preset.stages } : {}),
    ...(preset.image ? { defaultImage: preset.image } : {}),
    jobs: Object.fromEntries(
      Object.entries(config.jobs).map(([name, override]) => [
        name,
        {
          ...(override.image
            ? { image: typeof override.image === 'string' ? { name: override.image } : override.image }
            : {}),
          ...(override.variables
            ? { variables: Object.entries(override.variables).map(([key, value]) => ({ name: key, value })) }
            : {}),
        },
      ]),
    ),
  };
  // Only mappings with a checkout: a `[projects."group/proj"]` table may set just runners.
  const projects: Record<string, { dir: string; branch?: string }> = {};
  for (const [name, { dir, branch }] of Object.entries(config.projects)) {
    if (dir !== undefined) projects[name] = { dir, ...(branch !== undefined ? { branch } : {}) };
  }
  for (const mapping of options.projectDir ?? []) {
    const match = /^([^=]+\/[^=]+)=(.+)$/.exec(mapping);
    if (!match) throw new PipelineUsageError(`--project-dir expects group/project=dir, got "${mapping}"`);
    projects[match[1]!] = { dir: path.resolve(ctx.cwd, match[2]!) };
  }
  return {
    dir: root,
    context,
    ...(mrSource ? { mrSource } : {}),
    ...(mrTarget ? { mrTarget } : {}),
    dirty: options.dirty && preset.dirty,
    file: options.file,
    inputs: await readInputs(ctx, options.inputsFile, options.input),
    layers,
    local,
    projects,
  };
}

/** `--inputs-file` (YAML, loaded only when given) and `--input key=value`, the latter winning. */
export async function readInputs(
  ctx: CliContext,
  file: string | undefined,
  inputs: readonly string[] | undefined,
): Promise<Record<string, unknown>> {
  let values: Record<string, unknown> = {};
  if (file) {
    const { parse: parseYaml } = await import('yaml');
    const parsed: unknown = parseYaml(readText(path.resolve(ctx.cwd, file), '--inputs-file'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new PipelineUsageError(`--inputs-file ${file}: expected a YAML mapping of input names to values`);
    values = { ...(parsed as Record<string, unknown>) };
  }
  for (const text of inputs ?? []) {
    const separator = text.indexOf('=');
    if (separator <= 0) throw new PipelineUsageError(`--input expects key=value, got "${text}"`);
    values[text.slice(0, separator)] = text.slice(separator + 1);
  }
  return values;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new PipelineUsageError(
      `${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function parseAssignmentOrUsage(text: string) {
  try {
    return parseAssignment(text);
  } catch (error) {
    throw new PipelineUsageError(`--env: ${(error as Error).message}`);
  }
}
