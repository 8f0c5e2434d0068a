import type { GitlabToken } from '../token.js';

export interface HintContext {
  readonly token: GitlabToken | undefined;
  /** GitLab's own message, e.g. `404 Project Not Found` or `insufficient_scope`. */
  readonly detail: string | undefined;
  readonly location?: string | undefined;
}

/** What a user should do about a status from the instance, said the way GitLab's users think of it. */
export function hintForStatus(status: number, context: HintContext): string | undefined {
  const { token, detail } = context;
  switch (status) {
    case 401:
      return token
        ? `the token from ${token.describeSource()} was refused: it is wrong, expired or revoked`
        : 'the instance wants a token: set GITLAB_TOKEN (or [gitlab] token in the user config)';
    case 403:
      if (detail && /insufficient_scope|higher privileges/i.test(detail))
        return `the token from ${token?.describeSource() ?? 'nowhere'} lacks the scope this needs (read_api, or api)`;
      return token
        ? "the token's user may not read this (CI/CD variables and protected branches need the Maintainer role)"
        : 'not allowed without a token: set GITLAB_TOKEN';
    case 404:
      return token
        ? "not found, or not visible to the token's user"
        : 'not found, or not visible without a token (set GITLAB_TOKEN)';
    case 429:
      return 'the instance is rate-limiting requests; try again in a minute';
    case 301:
    case 302:
    case 307:
    case 308:
      return `the instance redirects API requests${context.location ? ` to ${context.location}` : ''}: set [gitlab] url to the instance's real address`;
    default:
      return status >= 500 ? 'the instance failed; try again, or ask its administrators' : undefined;
  }
}
