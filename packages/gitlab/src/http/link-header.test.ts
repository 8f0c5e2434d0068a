import { describe, expect, it } from 'vitest';
import { nextPageUrl } from './link-header.js';

const INSTANCE = 'https://gitlab.example.com';

describe('nextPageUrl', () => {
  it('finds rel="next" among the links GitLab sends', () => {
    const link =
      '<https://gitlab.example.com/api/v4/projects/1/variables?page=2&per_page=100>; rel="next", ' +
      '<https://gitlab.example.com/api/v4/projects/1/variables?page=1&per_page=100>; rel="first", ' +
      '<https://gitlab.example.com/api/v4/projects/1/variables?page=3&per_page=100>; rel="last"';
    expect(nextPageUrl(link, INSTANCE)).toBe(
      'https://gitlab.example.com/api/v4/projects/1/variables?page=2&per_page=100',
    );
  });

  it('follows keyset pagination tokens', () => {
    const link =
      '<https://gitlab.example.com/api/v4/projects/1/repository/tree?page_token=a%2Fb&pagination=keyset>; rel="next"';
    expect(nextPageUrl(link, INSTANCE)).toContain('page_token=a%2Fb');
  });

  it('has nothing on the last page', () => {
    expect(nextPageUrl('<https://gitlab.example.com/x?page=1>; rel="first"', INSTANCE)).toBeUndefined();
    expect(nextPageUrl(undefined, INSTANCE)).toBeUndefined();
  });

  it('never leaves the instance: a next page elsewhere would receive the token', () => {
    expect(nextPageUrl('<https://evil.example/steal?page=2>; rel="next"', INSTANCE)).toBeUndefined();
    expect(nextPageUrl('<http://gitlab.example.com/x?page=2>; rel="next"', INSTANCE)).toBeUndefined();
  });
});
