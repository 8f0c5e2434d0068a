import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The pipeline history on disk:
 *
 * ```
 * $GLCI_HOME/
 * ├── pipeline-id                          the last pipeline id handed out (decimal); ids are
 * │                                        unique per user, across projects
 * └── projects/
 *     └── <name>-<hash>/                   one per project directory (projectKey)
 *         ├── project.json                 { "dir": "/home/ada/work/app", "key": "app-3f2a9c1b7d4e" }
 *         └── pipelines/
 *             └── <pipeline id>/
 *                 ├── pipeline.json        the PipelineRecord (replaced atomically)
 *                 └── jobs/
 *                     └── <job id>/        the mock's job id (unique per pipeline run)
 *                         ├── trace.log            the raw log, bytes as the runner sent them
 *                         ├── artifacts.zip        the job's `artifacts:paths` archive
 *                         └── reports/
 *                             └── <type>.<format>  a report archive as uploaded, e.g.
 *                                                  junit.gzip, dotenv.gzip, sast.raw
 * ```
 *
 * Files are written to a temporary `.<name>.<random>.tmp` beside them and renamed into place;
 * a trace grows by appends while its job runs.
 */
export const PIPELINE_ID_FILE = 'pipeline-id';
export const PROJECTS_DIR = 'projects';
export const PROJECT_FILE = 'project.json';
export const PIPELINES_DIR = 'pipelines';
export const PIPELINE_FILE = 'pipeline.json';
export const JOBS_DIR = 'jobs';
export const TRACE_FILE = 'trace.log';
export const ARCHIVE_FILE = 'artifacts.zip';
export const REPORTS_DIR = 'reports';

/** Report types and formats become file names, so they are limited to these characters. */
const NAME_PART = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * The directory name of a project's history: its base name (readable in `ls`) and a hash of its
 * full real path (two checkouts named `app` never share one), e.g. `app-3f2a9c1b7d4e`.
 */
export function projectKey(projectDir: string): string {
  const full = canonicalProjectDir(projectDir);
  const base =
    path
      .basename(full)
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[.-]+|[.-]+$/g, '')
      .slice(0, 40) || 'root';
  return `${base}-${createHash('sha256').update(full).digest('hex').slice(0, 12)}`;
}

/** The absolute path with symlinks resolved, so `~/app` and a link to it are one project. */
export function canonicalProjectDir(projectDir: string): string {
  const absolute = path.resolve(projectDir);
  return existsSync(absolute) ? realpathSync(absolute) : absolute;
}

/**
 * The project directory for a working directory: the nearest ancestor with a `.git` entry (the
 * repository a pipeline runs for), else the directory itself. `glci run` and `glci log` both use
 * it, so they agree on the project.
 */
export function findProjectDir(cwd: string): string {
  let directory = path.resolve(cwd);
  for (;;) {
    if (existsSync(path.join(directory, '.git'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return path.resolve(cwd);
    directory = parent;
  }
}

export class InvalidHistoryNameError extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
  ) {
    super(`invalid ${what} ${JSON.stringify(value)}: use lowercase letters, digits, "_" and "-"`);
    this.name = 'InvalidHistoryNameError';
  }
}

/** Checks a report type or format before it becomes part of a file name. */
export function checkNamePart(what: string, value: string): string {
  if (!NAME_PART.test(value)) throw new InvalidHistoryNameError(what, value);
  return value;
}

/** Pipeline and job ids are positive integers; anything else would be a path. */
export function checkId(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidHistoryNameError(what, String(value));
  return value;
}
