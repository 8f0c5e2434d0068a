// The two functions alone: the whole package is some 50 modules to load on every planning.
import type SemVer from 'semver/classes/semver.js';
import semverGt from 'semver/functions/gt.js';
import parseSemver from 'semver/functions/parse.js';

export interface ReleaseVersion {
  readonly tag: string;
  readonly sha: string;
}

/**
 * The release a moving component version stands for, as GitLab's catalog picks it
 * (Ci::Catalog::Resources::Version.latest): among releases whose tag is a semantic version and not
 * a pre-release, the highest version, optionally within a major (`1`) or a major.minor (`1.2`).
 * Release dates do not matter: a 1.x patch released after 2.0.0 does not become `~latest`.
 */
export function selectReleaseVersion(
  releases: readonly ReleaseVersion[],
  want: { readonly major?: number | undefined; readonly minor?: number | undefined } = {},
): ReleaseVersion | undefined {
  let best: { release: ReleaseVersion; version: SemVer } | undefined;
  for (const release of releases) {
    // Strictly MAJOR.MINOR.PATCH[-pre][+build], as GitLab's semver regex: no `v` prefix.
    const version = /^\d/.test(release.tag) ? parseSemver(release.tag) : null;
    if (!version || version.prerelease.length > 0) continue;
    if (want.major !== undefined && version.major !== want.major) continue;
    if (want.minor !== undefined && version.minor !== want.minor) continue;
    if (!best || semverGt(version, best.version)) best = { release, version };
  }
  return best?.release;
}
