import { describe, expect, it } from 'vitest';
import { fixedDirectoryOf, matchWildcardPath } from './wildcard-path.js';

const files = [
  'README.md',
  'templates/base.gitlab-ci.yml',
  'templates/jobs/package.yml',
  'templates/jobs/test.yml',
  'templates/jobs/python/lint.yml',
  'templates/rules/workflow.yml',
  'templates/jobs.yml',
];

describe("GitLab's wildcard include paths", () => {
  it('matches * within one directory only', () => {
    expect(matchWildcardPath('templates/jobs/*.yml', files)).toEqual([
      'templates/jobs/package.yml',
      'templates/jobs/test.yml',
    ]);
  });

  it('matches ** across directories', () => {
    expect(matchWildcardPath('templates/**.yml', files)).toEqual([
      'templates/base.gitlab-ci.yml',
      'templates/jobs.yml',
      'templates/jobs/package.yml',
      'templates/jobs/python/lint.yml',
      'templates/jobs/test.yml',
      'templates/rules/workflow.yml',
    ]);
    expect(matchWildcardPath('templates/**/lint.yml', files)).toEqual(['templates/jobs/python/lint.yml']);
  });

  it('treats everything else literally, a leading / included', () => {
    expect(matchWildcardPath('/templates/base.gitlab-ci.yml', files)).toEqual([
      'templates/base.gitlab-ci.yml',
    ]);
    expect(matchWildcardPath('templates/jobs.y?l', [...files, 'templates/jobs.yal'])).toEqual([]);
    expect(
      matchWildcardPath('templates/*.gitlab-ci.yml', [
        'templates/base.gitlab-ci.yml',
        'templates/baseXgitlab-ciXyml',
      ]),
    ).toEqual(['templates/base.gitlab-ci.yml']);
  });

  it('lists only the directory a pattern cannot leave', () => {
    expect(fixedDirectoryOf('templates/jobs/*.yml')).toBe('templates/jobs');
    expect(fixedDirectoryOf('templates/**/x.yml')).toBe('templates');
    expect(fixedDirectoryOf('*.yml')).toBe('');
    expect(fixedDirectoryOf('ci/a.yml')).toBe('ci');
  });
});
