import { ConfigError } from './errors.js';
import type { GlciConfig, PipelinePresetConfig } from './schema.js';

/** A `[pipelines.NAME]` preset with its `extends` chain merged and the global lists applied. */
export interface ResolvedPreset {
  readonly name: string;
  readonly stages: readonly string[];
  readonly jobs: readonly string[];
  readonly context?: string;
  readonly mrSource?: string;
  readonly mrTarget?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly image?: string;
  readonly executor: 'docker' | 'kubernetes';
  readonly dirty: boolean;
  readonly noSkipAll: boolean;
  readonly manualAll: boolean;
  readonly noManual: boolean;
  readonly skip: {
    readonly jobs: readonly string[];
    readonly jobPatterns: readonly string[];
    readonly stages: readonly string[];
  };
  readonly manual: { readonly jobs: readonly string[]; readonly jobPatterns: readonly string[] };
}

const MAX_PRESET_DEPTH = 10;

/**
 * The effective settings of a run: `[defaults]`, `[skip]` and `[manual]`, with the named preset (and
 * the presets it extends) on top. Merging follows glci's rules: `jobs` and `stages` are unions;
 * `skip` and `manual` lists are added together; `env` keys and booleans of the child win. Without a
 * name, the defaults alone. Throws `ConfigError` for an unknown preset or an `extends` cycle.
 */
export function resolvePreset(config: GlciConfig, name?: string): ResolvedPreset {
  const chain: { name: string; preset: PipelinePresetConfig }[] = [];
  const visited: string[] = [];
  let current = name;
  while (current !== undefined) {
    const preset = config.pipelines[current];
    if (!preset) {
      const known = Object.keys(config.pipelines);
      throw new ConfigError([
        {
          file: undefined,
          key: `pipelines.${current}`,
          message: `no such preset${known.length ? ` (presets: ${known.join(', ')})` : ' (no [pipelines.NAME] preset is configured)'}`,
        },
      ]);
    }
    if (chain.some((link) => link.name === current) || chain.length >= MAX_PRESET_DEPTH) {
      throw new ConfigError([
        {
          file: undefined,
          key: `pipelines.${current}.extends`,
          message: `extends cycle: ${[...visited, current].join(' → ')}`,
        },
      ]);
    }
    visited.push(current);
    chain.unshift({ name: current, preset });
    current = preset.extends;
  }
  const union = (a: readonly string[], b: readonly string[] | undefined) => [
    ...new Set([...a, ...(b ?? [])]),
  ];
  let result: ResolvedPreset = {
    name: name ?? '',
    stages: [],
    jobs: [],
    env: {},
    concurrency: config.defaults.concurrency,
    ...(config.defaults.image ? { image: config.defaults.image } : {}),
    executor: config.defaults.executor,
    dirty: config.defaults.dirty,
    noSkipAll: false,
    manualAll: false,
    noManual: false,
    skip: { jobs: config.skip.jobs, jobPatterns: config.skip.job_patterns, stages: config.skip.stages },
    manual: { jobs: config.manual.jobs, jobPatterns: config.manual.job_patterns },
  };
  for (const { preset } of chain) {
    result = {
      ...result,
      stages: union(result.stages, preset.stages),
      jobs: union(result.jobs, preset.jobs),
      ...(preset.context !== undefined ? { context: preset.context } : {}),
      ...(preset.mr_source !== undefined ? { mrSource: preset.mr_source } : {}),
      ...(preset.mr_target !== undefined ? { mrTarget: preset.mr_target } : {}),
      env: { ...result.env, ...preset.env },
      concurrency: preset.concurrency ?? result.concurrency,
      ...(preset.image !== undefined ? { image: preset.image } : {}),
      executor: preset.executor ?? result.executor,
      dirty: preset.dirty ?? result.dirty,
      noSkipAll: preset.no_skip_all ?? result.noSkipAll,
      manualAll: preset.manual_all ?? result.manualAll,
      noManual: preset.no_manual ?? result.noManual,
      skip: {
        jobs: union(result.skip.jobs, preset.skip?.jobs),
        jobPatterns: union(result.skip.jobPatterns, preset.skip?.job_patterns),
        stages: result.skip.stages,
      },
      manual: {
        jobs: union(result.manual.jobs, preset.manual?.jobs),
        jobPatterns: union(result.manual.jobPatterns, preset.manual?.job_patterns),
      },
    };
  }
  return result;
}
