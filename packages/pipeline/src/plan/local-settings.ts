import type { ImageDefinition } from '../definition/types.js';
import type { VariableEntry } from '../variables/layers.js';

/**
 * What glci's own configuration changes about a pipeline (`.glciconfig.toml`: `[skip]`, `[manual]`,
 * `[jobs."name"]`, `[defaults] image`, and a preset's `jobs`/`stages`/`manual_all`/`no_manual`).
 * None of it exists in GitLab; the plan marks every job it changed.
 */
export interface LocalSettings {
  /** Jobs removed from the pipeline (reported as excluded by the local config). */
  readonly skip?: {
    readonly jobs?: readonly string[];
    readonly jobPatterns?: readonly string[];
    readonly stages?: readonly string[];
  };
  /** Jobs glci holds as manual even though GitLab would start them. */
  readonly manual?: { readonly jobs?: readonly string[]; readonly jobPatterns?: readonly string[] };
  /** Every job is held as manual (step through a pipeline). */
  readonly manualAll?: boolean;
  /** Manual jobs (from the YAML and `[manual]`) start without waiting. */
  readonly noManual?: boolean;
  /** Ignore every `[skip]` list. */
  readonly noSkipAll?: boolean;
  /** A preset's job name globs: only these jobs (and the jobs they need) run. */
  readonly onlyJobs?: readonly string[];
  /** A preset's stages: only jobs of these stages (and the jobs they need) run. */
  readonly onlyStages?: readonly string[];
  /** The image of jobs that set none (GitLab uses the runner's default image). */
  readonly defaultImage?: string;
  /** `[jobs."name"]`: per-job image settings (merged into the job's) and variables. */
  readonly jobs?: Readonly<
    Record<
      string,
      { readonly image?: Partial<ImageDefinition>; readonly variables?: readonly VariableEntry[] }
    >
  >;
}

/** Job name globs of presets: `*` any text, `?` one character. */
export function nameMatches(name: string, patterns: readonly string[] | undefined): boolean {
  return (patterns ?? []).some((pattern) => {
    const regexp = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return regexp.test(name);
  });
}

/** `job_patterns` are regular expressions (unanchored, as written). */
export function patternMatches(name: string, patterns: readonly string[] | undefined): boolean {
  return (patterns ?? []).some((pattern) => new RegExp(pattern).test(name));
}
