import { describe, expect, it } from 'vitest';
import { GitlabToken } from '../token.js';
import { hintForStatus } from './status-hints.js';

const token = new GitlabToken('glpat-x', { kind: 'env', variable: 'GITLAB_TOKEN' });

describe('hintForStatus', () => {
  it('says what to do about a 401 with and without a token', () => {
    expect(hintForStatus(401, { token, detail: '401 Unauthorized' })).toBe(
      'the token from the GITLAB_TOKEN environment variable was refused: it is wrong, expired or revoked',
    );
    expect(hintForStatus(401, { token: undefined, detail: undefined })).toMatch(
      /wants a token: set GITLAB_TOKEN/,
    );
  });

  it('says a 404 without a token may be a project the token would see', () => {
    expect(hintForStatus(404, { token: undefined, detail: '404 Project Not Found' })).toBe(
      'not found, or not visible without a token (set GITLAB_TOKEN)',
    );
    expect(hintForStatus(404, { token, detail: '404 Project Not Found' })).toBe(
      "not found, or not visible to the token's user",
    );
  });

  it('tells a missing scope from a missing role on 403', () => {
    expect(hintForStatus(403, { token, detail: 'insufficient_scope' })).toMatch(/lacks the scope/);
    expect(hintForStatus(403, { token, detail: '403 Forbidden' })).toMatch(/Maintainer role/);
  });

  it('covers rate limits and server errors', () => {
    expect(hintForStatus(429, { token, detail: undefined })).toMatch(/rate-limiting/);
    expect(hintForStatus(502, { token, detail: undefined })).toMatch(/the instance failed/);
    expect(hintForStatus(418, { token, detail: undefined })).toBeUndefined();
  });
});
