import { describe, expect, it } from 'vitest';
import { selectReleaseVersion } from './select-version.js';

const releases = ['2.1.0-rc.1', '1.2.0', '2.0.0', '1.1.0', '1.0.0', 'v3.0.0', 'nightly'].map((tag) => ({
  tag,
  sha: `sha-of-${tag}`,
}));

describe('selectReleaseVersion', () => {
  it('~latest is the highest semantic version, not the newest release nor a pre-release', () => {
    expect(selectReleaseVersion(releases)?.tag).toBe('2.0.0');
  });

  it('a major picks the highest of that major, a major.minor the highest patch', () => {
    expect(selectReleaseVersion(releases, { major: 1 })?.tag).toBe('1.2.0');
    expect(selectReleaseVersion(releases, { major: 1, minor: 1 })?.tag).toBe('1.1.0');
    expect(selectReleaseVersion(releases, { major: 2, minor: 1 })).toBeUndefined();
    expect(selectReleaseVersion(releases, { major: 4 })).toBeUndefined();
  });

  it('ignores tags that are not strict semantic versions', () => {
    expect(
      selectReleaseVersion([
        { tag: 'v3.0.0', sha: 'x' },
        { tag: 'nightly', sha: 'y' },
      ]),
    ).toBeUndefined();
  });
});
