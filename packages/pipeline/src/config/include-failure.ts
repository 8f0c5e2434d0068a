import { GitlabError, GitlabRequestError } from '@glci/gitlab/planning';
import { PipelineConfigError, UnsupportedFeatureError } from '../errors.js';
import type { IncludeEntry } from './include-entries.js';

/** A refused include: GitLab's message, at the `include:` entry (file:line:column and key path). */
export function includeFailure(entry: IncludeEntry, message: string): PipelineConfigError {
  return new PipelineConfigError([
    { keyPath: entry.keyPath, message, ...(entry.location ? { location: entry.location } : {}) },
  ]);
}

/** An include glci cannot resolve in this set-up (no instance to ask), said with what to do. */
export function includeUnsupported(entry: IncludeEntry, message: string): UnsupportedFeatureError {
  return new UnsupportedFeatureError([
    { keyPath: entry.keyPath, message, ...(entry.location ? { location: entry.location } : {}) },
  ]);
}

/** What GitLab itself says when an include of this kind cannot be read. */
export interface GitlabWording {
  /** The project could not be seen (404 `Project Not Found`, 403). */
  readonly notFound?: string;
  /** The project is there but the ref is not (any other 404). */
  readonly missingRef?: string;
}

/**
 * Turns a failure of the GitLab connection into a refused include: GitLab's own text where it has
 * one, then what glci asked, where, what the instance answered and what to do (the error's own
 * message). Anything else is a bug and is rethrown as it is.
 */
export function gitlabFailure(
  entry: IncludeEntry,
  error: unknown,
  wording: GitlabWording,
  mask: (text: string) => string,
): PipelineConfigError {
  if (!(error instanceof GitlabError)) throw error;
  let lead: string | undefined;
  if (error instanceof GitlabRequestError) {
    const projectMissing =
      error.status === 403 || (error.status === 404 && /Project Not Found/i.test(error.detail ?? ''));
    if (projectMissing) lead = wording.notFound;
    else if (error.status === 404) lead = wording.missingRef ?? wording.notFound;
  }
  const detail = mask(error.message);
  return includeFailure(entry, lead ? `${mask(lead)} (${detail})` : detail);
}
