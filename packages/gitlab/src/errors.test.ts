import { describe, expect, it } from 'vitest';
import {
  describeSubject,
  GitlabRequestError,
  GitlabUnreachableError,
  IntegrityMismatchError,
  NotCachedError,
} from './errors.js';

describe('GitLab errors', () => {
  it('name what was asked, where, and at which ref', () => {
    expect(describeSubject({ what: 'file ci/a.yml', project: 'acme/app', ref: 'main' })).toBe(
      'file ci/a.yml of acme/app at main',
    );
    expect(describeSubject({ what: 'CI/CD variables', group: 'acme' })).toBe('CI/CD variables of group acme');
    expect(describeSubject({ what: 'version' })).toBe('version');
  });

  it('say what the instance answered and what to do', () => {
    const error = new GitlabRequestError(
      { what: 'project', project: 'acme/app' },
      'https://gitlab.example.com/api/v4/projects/acme%2Fapp',
      404,
      '404 Project Not Found',
      'not found, or not visible without a token (set GITLAB_TOKEN)',
    );
    expect(error.message).toBe(
      'project of acme/app: https://gitlab.example.com/api/v4/projects/acme%2Fapp answered 404 (404 Project Not Found): not found, or not visible without a token (set GITLAB_TOKEN)',
    );
    expect(error).toMatchObject({ name: 'GitlabRequestError', code: 'GITLAB_HTTP', status: 404 });
  });

  it('say which file is missing from the cache, and why the instance could not be asked', () => {
    const reason = new GitlabUnreachableError(
      { what: 'ref', project: 'acme/app', ref: 'main' },
      'https://x/api/v4/…',
      'ECONNREFUSED',
    );
    expect(new NotCachedError('file ci/a.yml of acme/app at main (4a143a7a)', reason).message).toBe(
      "file ci/a.yml of acme/app at main (4a143a7a) is not in glci's include cache, and asking the instance failed: ref of acme/app at main: https://x/api/v4/… could not be reached (ECONNREFUSED): run once with network access to fill the cache",
    );
    expect(new NotCachedError('template Jobs/Build.gitlab-ci.yml', undefined).message).toBe(
      "template Jobs/Build.gitlab-ci.yml is not in glci's include cache, and glci is offline: run once with network access to fill the cache",
    );
  });

  it('refuse a remote file whose hash differs from its integrity', () => {
    expect(
      new IntegrityMismatchError('https://ci.example.com/a.yml', 'sha256-AAA=', 'sha256-BBB=').message,
    ).toBe(
      'Remote file `https://ci.example.com/a.yml` was refused: its content hashes to sha256-BBB=, not to the integrity sha256-AAA=: the file changed since the integrity was written, or was tampered with; check it and update integrity:',
    );
  });
});
