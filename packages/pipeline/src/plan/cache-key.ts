import { createHash } from 'node:crypto';
import type { ProjectFiles } from '../config/project-files.js';
import type { CacheDefinition } from '../definition/types.js';
import type { GitFacts } from '../git/git-facts.js';
import { GlobSet } from '../rules/glob.js';
import { expandText } from '../variables/expand.js';

export interface CacheKeyEnvironment {
  readonly files: ProjectFiles;
  readonly git: GitFacts;
}

/**
 * A cache's key as GitLab computes it:
 * - `key: text`: variables expanded; empty becomes `default`;
 * - `key:files_commits`: SHA-1 of the sorted, distinct last commits that changed the listed files,
 *   joined by `-` (GitLab's original `key:files`), or `default` when none did;
 * - `key:files` (content-based since GitLab 18): a SHA-1 over the matched files' paths and contents,
 *   globs allowed, or `default` when no file matches. GitLab does not publish its exact digest, so
 *   glci's differs in value but changes exactly when the files' contents change;
 * - `prefix` (variables expanded) is joined with `-`.
 */
export async function resolveCacheKey(
  key: CacheDefinition['key'],
  lookup: (name: string) => string | undefined,
  environment: CacheKeyEnvironment,
): Promise<string> {
  if (key === undefined) return 'default';
  if (typeof key === 'string') return expandText(key, lookup) || 'default';
  let digest = 'default';
  if (key.filesCommits) {
    const commits = new Set<string>();
    for (const file of key.filesCommits) {
      const sha = await environment.git.lastCommitFor(expandText(file, lookup).replace(/^\/+/, ''));
      if (sha) commits.add(sha);
    }
    if (commits.size > 0)
      digest = createHash('sha1')
        .update([...commits].sort().join('-'))
        .digest('hex');
  } else if (key.files) {
    const globs = new GlobSet(key.files.map((file) => expandText(file, lookup)));
    const matched = (await environment.files.list()).filter((file) => globs.matches(file));
    if (matched.length > 0) {
      const hash = createHash('sha1');
      for (const file of matched) {
        const content = (await environment.files.read(file)) ?? '';
        hash.update(`${file}\0${createHash('sha256').update(content).digest('hex')}\n`);
      }
      digest = hash.digest('hex');
    }
  }
  const prefix = key.prefix === undefined ? '' : expandText(key.prefix, lookup);
  return prefix ? `${prefix}-${digest}` : digest;
}
