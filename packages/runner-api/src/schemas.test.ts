import { describe, expect, it } from 'vitest';
import { jobSpecSchema, projectPathSchema } from './schemas.js';
import { jobSpec } from './test-support/harness.js';

describe('projectPathSchema', () => {
  it('accepts group paths and refuses tricks', () => {
    for (const ok of ['group/project', 'a/b/c', 'My.Group/my-project_1']) {
      expect(projectPathSchema.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of [
      'project',
      '../etc',
      'a/../b',
      'a//b',
      '/a/b',
      'a/b/',
      'a/b.git',
      'a/.hidden',
      'a/b c',
      '',
    ]) {
      expect(projectPathSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('jobSpecSchema', () => {
  it('fills GitLab defaults', () => {
    const spec = jobSpecSchema.parse(jobSpec());
    expect(spec).toMatchObject({
      stage: 'test',
      project: { id: 1, default_branch: 'main' },
      pipeline: { source: 'push' },
      git: { ref_type: 'branch', depth: 20, protected: false, object_format: 'sha1' },
      services: [],
      variables: {},
      before_script: [],
      after_script: [],
      dependencies: [],
      timeout: 3600,
      tags: [],
    });
  });

  it('accepts the extended image, service and variable syntax', () => {
    const spec = jobSpecSchema.parse(
      jobSpec({
        image: 'alpine:3.20',
        services: ['redis', { name: 'pg', alias: 'db', ports: [5432, { number: 8080, protocol: 'http' }] }],
        variables: { N: 1, B: true, S: { value: 2 } },
        cache: [{ key: 'a' }, { key: 'b', policy: 'push' }],
      }),
    );
    expect(spec.image).toEqual({ name: 'alpine:3.20' });
    expect(spec.services[1]).toMatchObject({ ports: [{ number: 5432 }, { number: 8080, protocol: 'http' }] });
    expect(spec.variables).toMatchObject({
      N: '1',
      B: 'true',
      S: { value: '2', masked: false, file: false },
    });
    expect(Array.isArray(spec.cache) && spec.cache[1]?.policy).toBe('push');
  });

  it('refuses what the runner would reject or misread', () => {
    const bad = (overrides: Record<string, unknown>) =>
      jobSpecSchema.safeParse({ ...jobSpec(), ...overrides }).success;
    expect(bad({ image: { name: 'a', docker: { privileged: true } } })).toBe(false);
    expect(bad({ variables: { 'BAD-NAME': 'x' } })).toBe(false);
    expect(bad({ cache: { policy: 'sometimes' } })).toBe(false);
    expect(bad({ timeout: 0 })).toBe(false);
    expect(bad({ run: '[]' })).toBe(false);
    expect(bad({ git: { ref: 'main', sha: 'A'.repeat(40) } })).toBe(false);
    expect(bad({ artifacts: { reports: { 'Bad Type': 'x' } } })).toBe(false);
    expect(bad({ cache: { fallback_keys: ['1', '2', '3', '4', '5', '6'] } })).toBe(false);
  });
});
