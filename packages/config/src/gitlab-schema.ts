import { z } from 'zod';
import { duration, httpUrl, size } from './schema-primitives.js';

/**
 * The user's GitLab instance: where `include:project`, components, templates and the project's CI/CD
 * variables come from (`@glci/gitlab`). Unset `url` means: `GITLAB_URL`, else the instance of the
 * `origin` remote, else https://gitlab.com; unset `token` means `GITLAB_TOKEN`, else no token.
 */
export const gitlabSchema = z.strictObject({
  url: httpUrl.optional(),
  /** A personal, project or group access token, or an OAuth token (user config only). */
  token: z.string().optional(),
  /** How the token is sent: `PRIVATE-TOKEN` or `Authorization: Bearer` (OAuth); "auto" tells them apart. */
  token_type: z.enum(['auto', 'private', 'oauth']).default('auto'),
  /** A PEM bundle of the CA that signed a self-hosted instance's certificate. */
  ca_file: z.string().min(1).optional(),
  /** The longest a single request to the instance may take. */
  timeout: duration('30s').refine((value) => value > 0, {
    message: 'expected a duration above 0, e.g. "30s"',
  }),
  /** How long fetched CI/CD variables stay in the daemon's memory; "0" fetches them every time. */
  secrets_ttl: duration('6h'),
  /**
   * How long what a moving include ref resolved to (a branch, `~latest`, a partial version, a
   * template, a remote file without `integrity:`) is used from the cache without asking the
   * instance again; "0" asks every time. SHAs, tags and pinned remote files never expire.
   */
  includes_ttl: duration('5m'),
  /** Requests to the instance at once when fetching includes. */
  concurrency: z.number().int().min(1).max(64).default(8),
  /** The largest `include:remote` file accepted. */
  remote_max_size: size('2MB').refine((value) => value > 0, {
    message: 'expected a size above 0, e.g. "2MB"',
  }),
});
