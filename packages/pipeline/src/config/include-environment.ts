import type { IncludeSource } from '@glci/gitlab/planning';
import type { YamlValue } from '../yaml/load-yaml.js';
import type { SourceLocation } from '../yaml/source-map.js';
import type { ProjectFiles } from './project-files.js';

// The types the loader, its include resolution and its callers share, apart so that none of
// those modules imports another only for a type.

/** Where an included file came from on a GitLab instance, and how old the copy is. */
export interface FileOrigin {
  /** `acme/ci-templates:ci/build.yml at main (4a143a7a)`, `template Jobs/Build.gitlab-ci.yml`, a URL. */
  readonly description: string;
  /** When this content was fetched (ISO time): now, or when glci cached it. */
  readonly fetchedAt: string;
  readonly fromCache: boolean;
  /** The instance could not be asked: a moving ref, template or remote file as it was at `fetchedAt`. */
  readonly stale: boolean;
}

/**
 * Finds another project's local checkout for `include:project`, `component` and `trigger:project`
 * (`[projects."group/proj"] dir`, `--project-dir`). A mapped checkout wins over the GitLab instance.
 */
export interface ProjectResolver {
  project(path: string): Promise<ProjectFiles | undefined>;
}

export interface IncludeEnvironment {
  /**
   * Variables an include may use: predefined and pipeline variables, and the project's CI/CD
   * variables without an environment (not YAML `variables:`).
   */
  readonly variables: (name: string) => string | undefined;
  /** Evaluates an include's `rules:` in the project that holds the including file. */
  readonly evaluateRules: (
    rules: YamlValue,
    where: { readonly keyPath: string; readonly location: SourceLocation | undefined },
    project: ProjectFiles,
  ) => Promise<boolean>;
  readonly projects?: ProjectResolver;
  /**
   * The user's GitLab instance (`@glci/gitlab`'s `createIncludeSource`): other projects' files and
   * components not mapped to a local checkout, GitLab's templates and remote files. Without it they
   * are refused with what to do.
   */
  readonly gitlab?: IncludeSource;
  /** `CI_SERVER_FQDN`, the host a component reference must start with. */
  readonly serverFqdn?: string;
  /** Hides masked variables' values in messages (GitLab masks them in include errors too). */
  readonly mask?: (text: string) => string;
  /** A job's artifact (a dynamic child pipeline's configuration), once that job has run. */
  readonly artifacts?: (job: string, path: string) => Promise<string | undefined>;
}

export interface LoadedFile {
  /** As shown in messages: a path in this project, or `group/project:path` in another one. */
  readonly name: string;
  readonly includedFrom?: SourceLocation;
  /** For a file from a GitLab instance: where exactly, and how old the copy is. */
  readonly origin?: FileOrigin;
}
