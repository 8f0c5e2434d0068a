import type { IncludeSource, RemoteVariableSet, SecretsScope } from '@glci/gitlab/planning';
import type { IncludeEntry } from './config/include-entries.js';
import type { ProjectFiles } from './config/project-files.js';
import type { ContextSpec } from './context/context-spec.js';
import type { PipelineContext } from './context/pipeline-context.js';
import type { GitFacts } from './git/git-facts.js';
import type { LocalSettings } from './plan/local-settings.js';
import type { VariableLayer } from './variables/layers.js';

// What a planning request and one planning run are, apart from the planner so that the planner,
// the downstream planner and the project resolver share them without importing each other.

export interface ProjectMapping {
  readonly dir: string;
  readonly branch?: string;
}

/**
 * The user's GitLab instance, as the caller connected to it (`@glci/gitlab`): planning itself
 * opens no connection.
 */
export interface GitlabPlanning {
  /** `createIncludeSource`: other projects' files, components, templates and remote files. */
  readonly includes?: IncludeSource;
  /** A project's CI/CD variables (this project's, or a downstream one's); `undefined` when there are none to use. */
  readonly variables?: (projectPath: string) => Promise<{ readonly set: RemoteVariableSet } | undefined>;
  /** `--secrets`: which levels of CI/CD variables jobs get (default `all`). */
  readonly secrets?: SecretsScope;
  /**
   * A local checkout of a `trigger: project:` target that no `[projects]` entry maps (cloned from
   * the instance); `undefined` when it cannot be had.
   */
  readonly checkout?: (project: string, branch: string | undefined) => Promise<string | undefined>;
  /** The instance's URL: `CI_SERVER_*` follow it rather than the `origin` remote. */
  readonly serverUrl?: string;
}

export interface PlanProjectOptions {
  /** A directory inside the project's git repository. */
  readonly dir: string;
  /** Default: `merge_request`, as glci documents. */
  readonly context?: ContextSpec;
  readonly mrSource?: string;
  readonly mrTarget?: string;
  /** Dirty mode (default true): untracked, non-ignored files are part of the project. */
  readonly dirty?: boolean;
  /** The CI file (default `.gitlab-ci.yml`) and, for an editor buffer, its text. */
  readonly file?: string;
  readonly text?: string;
  /** Values for the root file's `spec: inputs`. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** Pipeline-wide user layers (`cli-env`, `env-file`, `glci-env`, `preset`). */
  readonly layers?: readonly VariableLayer[];
  readonly local?: LocalSettings;
  /** `[projects."group/proj"]` and `--project-dir`: other projects' local checkouts. */
  readonly projects?: Readonly<Record<string, ProjectMapping>>;
  /** Overrides the path derived from the `origin` remote. */
  readonly projectPath?: string;
  /** Facts about the repository (default: `git` child processes in its top level). */
  readonly git?: GitFacts;
  readonly ids?: { readonly pipelineId?: number };
  /** The GitLab connection: includes from the instance and the project's CI/CD variables. */
  readonly gitlab?: GitlabPlanning;
}

/** One planning of one pipeline (the root, a child, a downstream project). */
export interface PlanRun {
  readonly options: PlanProjectOptions;
  readonly context: PipelineContext;
  readonly git: GitFacts;
  readonly files: ProjectFiles;
  readonly file: string;
  readonly text: string | undefined;
  /** A child pipeline's `trigger: include:` entries, in place of a root file. */
  readonly includes?: readonly IncludeEntry[];
  /** A dynamic child pipeline's generated files. */
  readonly artifacts?: (job: string, path: string) => Promise<string | undefined>;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly layers: readonly VariableLayer[];
}
