import { PipelineConfigError } from '../errors.js';
import type { YamlMap } from '../yaml/load-yaml.js';
import { SourceMap } from '../yaml/source-map.js';
import { localFrame } from './external-includes.js';
import type { IncludeEntry } from './include-entries.js';
import type { IncludeEnvironment, LoadedFile } from './include-environment.js';
import { IncludeLoader } from './include-loader.js';
import { normalizeProjectPath, type ProjectFiles } from './project-files.js';
import type { InputSpec } from './spec-inputs.js';

// Re-exported: the package index and the planner name these types from here.
export type { IncludeEnvironment, LoadedFile, ProjectResolver } from './include-environment.js';
export { MAX_INCLUDED_FILES } from './include-loader.js';

export interface LoadConfigOptions {
  readonly project: ProjectFiles;
  /** The project's path (`group/project`), which names its files in messages of other projects. */
  readonly projectPath: string;
  /** The CI file, relative to the project root (default `.gitlab-ci.yml`). */
  readonly file?: string;
  /** Use this text instead of reading `file` (an editor buffer, `glci lint -`). */
  readonly text?: string;
  /**
   * A child pipeline's configuration: these `trigger: include:` entries take the place of a root
   * file (`file` names it in messages).
   */
  readonly includes?: readonly IncludeEntry[];
  /** Values for the root file's `spec: inputs`. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly include: IncludeEnvironment;
}

/** The root file with every include merged in, before `extends` and `!reference`. */
export interface RawConfig {
  readonly content: YamlMap;
  readonly sourceMap: SourceMap;
  readonly files: readonly LoadedFile[];
  /** The root file's `spec: inputs`, for a form that asks for them. */
  readonly inputSpecs: readonly InputSpec[];
  readonly warnings: readonly string[];
}

/**
 * Loads a project's CI configuration: the root file and every `include:` (local files with
 * wildcards, other projects' files and components from a mapped checkout or the GitLab instance,
 * GitLab's templates, remote files), each with its `rules` and `inputs`, merged as GitLab does
 * (included files first, in order, then the including file on top). Every problem carries
 * file:line:column; a file taken from glci's include cache while the instance could not be asked
 * adds a warning with its age.
 */
export async function loadRawConfig(options: LoadConfigOptions): Promise<RawConfig> {
  const sourceMap = new SourceMap();
  const file = normalizeProjectPath(options.file ?? '.gitlab-ci.yml') ?? '.gitlab-ci.yml';
  const frame = localFrame(options.project, options.projectPath, file, true);
  const loader = new IncludeLoader(sourceMap, options.include, frame);
  let loaded: Awaited<ReturnType<IncludeLoader['loadFile']>>;
  if (options.includes) {
    const body = {};
    sourceMap.record(body, { file, line: 1, column: 1 });
    const merged = await loader.mergeIncludes(options.includes, body, frame, [
      { key: frame.key, name: frame.name },
    ]);
    loaded = merged;
  } else {
    const text = options.text ?? (await options.project.read(file));
    if (text === undefined) {
      throw new PipelineConfigError([
        { keyPath: '', message: `${file} does not exist in ${options.project.root}` },
      ]);
    }
    loaded = await loader.loadFile(frame, text, options.inputs ?? {}, undefined, [], true);
  }
  const warnings = [...loaded.warnings, ...loader.warnings, ...staleWarnings(loaded.files)];
  return {
    content: loaded.content,
    sourceMap,
    files: loaded.files,
    inputSpecs: loaded.specs,
    warnings,
  };
}

/** One warning per file a moving ref, template or remote URL gave from the cache, with its age. */
function staleWarnings(files: readonly LoadedFile[]): string[] {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const file of files) {
    const origin = file.origin;
    if (!origin?.stale || seen.has(origin.description)) continue;
    seen.add(origin.description);
    warnings.push(
      `${origin.description}: the GitLab instance could not be asked, so glci used its cached copy from ${origin.fetchedAt} (${describeAge(origin.fetchedAt)} old); it may have changed since`,
    );
  }
  return warnings;
}

/** `3 days`, `5 hours`, `12 minutes`, `40 seconds`. */
export function describeAge(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const [value, unit] =
    seconds >= 86_400
      ? [Math.floor(seconds / 86_400), 'day']
      : seconds >= 3600
        ? [Math.floor(seconds / 3600), 'hour']
        : seconds >= 60
          ? [Math.floor(seconds / 60), 'minute']
          : [seconds, 'second'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}
