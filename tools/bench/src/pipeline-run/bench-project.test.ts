import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planProject } from '@glci/pipeline';
import { afterAll, describe, expect, it } from 'vitest';
import { createBenchProject, EXPECTED_STATES } from './bench-project.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-project-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the bench project', () => {
  it('is the quickstart with a cache and a service job, committed on main, and plans to the jobs the rows expect', async () => {
    const dir = await createBenchProject(path.join(root, 'project'));
    const yaml = readFileSync(path.join(dir, '.gitlab-ci.yml'), 'utf8');
    expect(yaml).toContain('GREETING: "hello from glci"');
    expect(yaml).toContain('key: bench-deps');
    expect(execFileSync('git', ['-C', dir, 'status', '--porcelain'], { encoding: 'utf8' })).toBe('');
    expect(execFileSync('git', ['-C', dir, 'branch', '--show-current'], { encoding: 'utf8' }).trim()).toBe(
      'main',
    );
    const plan = await planProject({ dir, context: { kind: 'branch', name: 'main' } });
    expect(plan.jobs.map((job) => job.name).sort()).toEqual(Object.keys(EXPECTED_STATES).sort());
  });
});
