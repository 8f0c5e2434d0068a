/**
 * Every failure talking to GitLab is one of these: a message a user can act on (what was asked,
 * where, what the instance answered, what to do), context fields for callers, and no stack trace in
 * what glci prints. Tokens never appear in them: requests carry tokens in headers only, and no
 * error keeps a request's options.
 */
export abstract class GitlabError extends Error {
  abstract readonly code: string;
  /** What to do about it, already part of `message`. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(hint ? `${message}: ${hint}` : message);
    this.hint = hint;
  }
}

/** Who asked: the thing being fetched and where, for messages (`file ci/build.yml of group/project at v1.2`). */
export interface RequestSubject {
  /** `file templates/build.yml`, `tags`, `CI/CD variables`, ... */
  readonly what: string;
  readonly project?: string | undefined;
  readonly group?: string | undefined;
  readonly ref?: string | undefined;
}

export function describeSubject(subject: RequestSubject): string {
  const where = subject.project
    ? ` of ${subject.project}`
    : subject.group
      ? ` of group ${subject.group}`
      : '';
  return `${subject.what}${where}${subject.ref ? ` at ${subject.ref}` : ''}`;
}

/** The instance answered with an error status. */
export class GitlabRequestError extends GitlabError {
  override readonly name = 'GitlabRequestError';
  readonly code = 'GITLAB_HTTP';

  constructor(
    readonly subject: RequestSubject,
    readonly url: string,
    readonly status: number,
    /** GitLab's own `message` or `error` from the body, e.g. `404 Project Not Found`. */
    readonly detail: string | undefined,
    hint: string | undefined,
  ) {
    super(`${describeSubject(subject)}: ${url} answered ${status}${detail ? ` (${detail})` : ''}`, hint);
  }
}

/** The instance could not be reached at all (DNS, refused, timeout, TLS). */
export class GitlabUnreachableError extends GitlabError {
  override readonly name = 'GitlabUnreachableError';
  readonly code = 'GITLAB_UNREACHABLE';

  constructor(
    readonly subject: RequestSubject,
    readonly url: string,
    /** The system's reason: `ECONNREFUSED`, `ETIMEDOUT`, a certificate error, ... */
    readonly reason: string,
    hint?: string,
  ) {
    super(`${describeSubject(subject)}: ${url} could not be reached (${reason})`, hint);
  }
}

/** The instance answered 2xx with something that is not what its API documents. */
export class GitlabResponseError extends GitlabError {
  override readonly name = 'GitlabResponseError';
  readonly code = 'GITLAB_RESPONSE';

  constructor(
    readonly subject: RequestSubject,
    readonly url: string,
    problem: string,
  ) {
    super(`${describeSubject(subject)}: ${url} gave an unexpected answer (${problem})`);
  }
}

/** Offline (or `offline: true`) and the cache has no copy of what was asked. */
export class NotCachedError extends GitlabError {
  override readonly name = 'NotCachedError';
  readonly code = 'GITLAB_NOT_CACHED';

  constructor(
    /** What is missing, e.g. `file ci/build.yml of acme/ci-templates at main`. */
    readonly missing: string,
    /** Why the instance could not be asked, when it was tried. */
    readonly reason: GitlabError | undefined,
  ) {
    super(
      `${missing} is not in glci's include cache${reason ? `, and asking the instance failed: ${reason.message}` : ', and glci is offline'}`,
      reason?.hint ? undefined : 'run once with network access to fill the cache',
    );
  }
}

/** An `include:remote` file whose content does not hash to its `integrity:`. */
export class IntegrityMismatchError extends GitlabError {
  override readonly name = 'IntegrityMismatchError';
  readonly code = 'GITLAB_INTEGRITY';

  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `Remote file \`${url}\` was refused: its content hashes to ${actual}, not to the integrity ${expected}`,
      'the file changed since the integrity was written, or was tampered with; check it and update integrity:',
    );
  }
}

/** An `include:remote` that cannot be fetched as GitLab would: bad URL, redirect refused, too large. */
export class RemoteIncludeError extends GitlabError {
  override readonly name = 'RemoteIncludeError';
  readonly code = 'GITLAB_REMOTE';

  constructor(
    readonly url: string,
    message: string,
    hint?: string,
    /** The server could not be reached (socket error, timeout): a cached copy may stand in. */
    readonly transient = false,
  ) {
    super(message, hint);
  }
}

/** The git fallback (no token: the user's own ssh keys or credential helper) failed. */
export class GitAccessError extends GitlabError {
  override readonly name = 'GitAccessError';
  readonly code = 'GITLAB_GIT';

  constructor(
    readonly subject: RequestSubject,
    readonly gitUrl: string,
    /** git's own last error line. */
    readonly reason: string,
  ) {
    super(
      `${describeSubject(subject)}: git could not fetch it from ${gitUrl} (${reason})`,
      'check your git access to the instance (ssh key or credential helper), or set GITLAB_TOKEN to use the API',
    );
  }
}

/** A reference that cannot name anything on GitLab (a component address, a project path, a file path). */
export class InvalidReferenceError extends GitlabError {
  override readonly name = 'InvalidReferenceError';
  readonly code = 'GITLAB_INVALID_REFERENCE';
}

/** The instance cannot be used as configured (`GITLAB_URL` or `[gitlab] url` is not a GitLab URL). */
export class GitlabSetupError extends GitlabError {
  override readonly name = 'GitlabSetupError';
  readonly code = 'GITLAB_SETUP';
}
