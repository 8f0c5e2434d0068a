import { rmSync } from 'node:fs';
import { planProject } from '@glci/pipeline';
import { describe, expect, it } from 'vitest';
import { generateProject } from './generate-config.js';

describe('generateProject', () => {
  it('writes a repository whose pipeline glci plans with every generated job, includes and needs', async ({
    onTestFinished,
  }) => {
    const project = generateProject({ components: 3, jobsPerFile: 10 });
    onTestFinished(() => rmSync(project.dir, { recursive: true, force: true }));
    expect(project).toMatchObject({ jobs: 30, files: 5 });
    const plan = await planProject({ dir: project.dir, context: { kind: 'branch', name: 'main' } });
    expect(plan.jobs).toHaveLength(30);
    expect(plan.files).toHaveLength(5);
    expect(plan.stages).toEqual(['prepare', 'build', 'test', 'package', 'deploy']);
    const deploy = plan.jobs.find((job) => job.name === 'c1-deploy-9')!;
    expect(deploy.needs).toEqual([{ job: 'c1-package-6', artifacts: true, optional: false }]);
    expect(deploy.script).toEqual(['echo setup', 'npm ci --prefer-offline', './run.sh c1-deploy-9']);
  });
});
