import { formatLocation, type SourceLocation } from './yaml/source-map.js';

/** One problem in a CI configuration, with where it is and which key it concerns. */
export interface PipelineIssue {
  /** `jobs:build:script`, GitLab's way of naming a key path; empty for the whole file. */
  readonly keyPath: string;
  readonly message: string;
  readonly location?: SourceLocation;
}

/** GitLab's wording of an issue: the key path, a space, the message (`jobs:build:retry max must be…`). */
export function gitlabMessage(issue: PipelineIssue): string {
  return issue.keyPath ? `${issue.keyPath} ${issue.message}` : issue.message;
}

/** `file:line:column: ` and GitLab's wording. */
export function formatPipelineIssue(issue: PipelineIssue): string {
  const where = formatLocation(issue.location);
  const what = gitlabMessage(issue);
  return where ? `${where}: ${what}` : what;
}

/**
 * The configuration is invalid as GitLab would refuse it: every problem found is listed, each with
 * file:line:column and key path. No stack is needed to act on it.
 */
export class PipelineConfigError extends Error {
  override readonly name: string = 'PipelineConfigError';
  readonly issues: readonly PipelineIssue[];

  constructor(issues: readonly PipelineIssue[]) {
    super(issues.map(formatPipelineIssue).join('\n'));
    this.issues = issues;
  }
}

/** The configuration is valid, but uses something glci cannot do locally (remote includes, secrets). */
export class UnsupportedFeatureError extends PipelineConfigError {
  override readonly name = 'UnsupportedFeatureError';
}

/** A git command failed (not a repository, unknown ref); `command` is what was run. */
export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(`${command}: ${message}`);
  }
}

/** Bad input from the command line or the caller (`--context`, `--input`, an unknown preset). */
export class PipelineUsageError extends Error {
  override readonly name = 'PipelineUsageError';
}

/** Collects issues while a stage of loading runs, and throws them together at the end. */
export class IssueCollector {
  readonly issues: PipelineIssue[] = [];

  add(keyPath: string, message: string, location?: SourceLocation): void {
    this.issues.push({ keyPath, message, ...(location ? { location } : {}) });
  }

  get empty(): boolean {
    return this.issues.length === 0;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new PipelineConfigError(this.issues);
  }
}
