import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planProject } from '@glci/pipeline';
import { afterAll, describe, expect, it } from 'vitest';
import { createDagProject, DAG_EXPECTED_STATES, dagScriptSeconds, SLOW_SECONDS } from './dag-project.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-dag-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the DAG project', () => {
  it('plans to 12 jobs in 4 stages, three chains joined by needs, one slow job per chain', async () => {
    const dir = await createDagProject(path.join(root, 'dag'));
    const plan = await planProject({ dir, context: { kind: 'branch', name: 'main' } });
    expect(plan.stages).toEqual(['build', 'test', 'package', 'deploy']);
    expect(plan.jobs.map((job) => job.name).sort()).toEqual(Object.keys(DAG_EXPECTED_STATES).sort());
    const needs = Object.fromEntries(plan.jobs.map((job) => [job.name, job.needs?.map((need) => need.job)]));
    expect(needs['build-web']).toEqual([]);
    expect(needs['test-web']).toEqual(['build-web']);
    expect(needs['deploy-docs']).toEqual(['package-docs']);
    const slow = plan.jobs.filter((job) => job.script?.some((line) => line === `sleep ${SLOW_SECONDS}`));
    expect(slow.map((job) => job.name).sort()).toEqual(['build-web', 'package-docs', 'test-api']);
  });

  it('leaves a schedule by waves three slow jobs to wait for where needs leave one', () => {
    expect(dagScriptSeconds()).toEqual({ needs: SLOW_SECONDS + 3, waves: 3 * SLOW_SECONDS + 1 });
  });
});
