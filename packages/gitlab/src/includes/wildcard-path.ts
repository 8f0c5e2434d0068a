/**
 * GitLab's matching of wildcard include paths (Repository#search_files_by_wildcard_path):
 * `**` matches any characters, `/` included; `*` matches any characters but `/`; everything else
 * is literal and the whole path must match. Used for `include:local` inside a project's file, whose
 * wildcards GitLab expands against that project's tree at the included commit.
 */
export function wildcardPathPattern(pattern: string): RegExp {
  const source = pattern
    .replace(/^\/+/, '')
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.*?' : part === '*' ? '[^/]*?' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

export function isWildcardPath(path: string): boolean {
  return path.includes('*');
}

/** The directory a wildcard pattern cannot leave: the path up to the segment with the first `*`. */
export function fixedDirectoryOf(pattern: string): string {
  const segments = pattern.replace(/^\/+/, '').split('/');
  const firstWild = segments.findIndex((segment) => segment.includes('*'));
  return (firstWild < 0 ? segments.slice(0, -1) : segments.slice(0, firstWild)).join('/');
}

/** The files of `files` a pattern matches, sorted as GitLab returns them (by path). */
export function matchWildcardPath(pattern: string, files: readonly string[]): string[] {
  const regexp = wildcardPathPattern(pattern);
  return files.filter((file) => regexp.test(file)).sort();
}
