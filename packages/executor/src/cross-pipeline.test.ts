import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, createSilentLogger } from '@glci/config';
import { connectGitlab, resolveGitlabInstance } from '@glci/gitlab';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { createMockServer } from '@glci/mock';
import type { PlannedJob } from '@glci/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossNeedDependencies, readArtifactFile } from './cross-pipeline.js';
import { MockClient } from './mock-client.js';

// The mock runs in this process (its /internal API over HTTP, as the daemon reaches it); the
// artifacts of another project come from the GitLab stand-in (GitLab cannot run here), whose
// `jobs/artifacts/:ref/download` answers with a real zip, as GitLab's does.

const SECRET = 'cross-pipeline-test-secret-0001';
const SHA = 'a'.repeat(40);
let standin: RunningStandin;
let work: string;
let mock: Awaited<ReturnType<ReturnType<typeof createMockServer>['listen']>>;
let client: MockClient;

beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-cross-pipeline-'));
  mock = await createMockServer({ secret: SECRET, dataDir: work, longPollMs: 0 }).listen({
    host: '127.0.0.1',
    port: 0,
  });
  client = new MockClient({ baseUrl: mock.url, secret: SECRET });
});
afterAll(async () => {
  await mock?.close();
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

const jobWith = (crossNeeds: PlannedJob['crossNeeds']) => ({ crossNeeds }) as PlannedJob;
const context = {
  projectPath: 'acme/platform/web-app',
  pipelineId: 3,
  sha: SHA,
  ref: 'main',
};

describe('needs:project and needs:pipeline', () => {
  it("imports another project's job artifacts from GitLab into the mock, and reads a file of them", async () => {
    const gitlab = connectGitlab({
      instance: resolveGitlabInstance({
        config: configSchema.parse({ gitlab: { url: standin.url, ca_file: standin.caFile } }).gitlab,
        env: { GITLAB_TOKEN: 'glpat-ada-maintainer-0000001' },
      }),
      glciHome: work,
      logger: createSilentLogger(),
    });
    const ids = await crossNeedDependencies(
      jobWith([
        { job: 'publish-schemas', artifacts: true, project: 'acme/platform/schemas', ref: 'main' },
        { job: 'docs', artifacts: false, project: 'acme/platform/docs', ref: 'main' },
      ]),
      {
        ...context,
        client,
        projectArtifacts: ({ project, ref, job }) => gitlab.artifacts(project, ref, job),
      },
    );
    expect(ids).toHaveLength(1);
    expect(await client.job(ids[0]!)).toMatchObject({ name: 'publish-schemas', state: 'success' });
    expect(await client.artifacts(ids[0]!)).toEqual([
      expect.objectContaining({ type: 'archive', format: 'zip' }),
    ]);
    expect(await readArtifactFile(client, ids[0]!, 'schemas/order.json')).toContain('"title": "Order"');
    expect(await readArtifactFile(client, ids[0]!, 'schemas/missing.json')).toBeUndefined();
    expect(await readArtifactFile(client, ids[0]!, '../../etc/passwd')).toBeUndefined();
  });

  it("takes a child's needs:pipeline from its parent, and says why it cannot otherwise", async () => {
    const parentJobIds = new Map([['build', 41]]);
    const need = (pipeline: string, job = 'build') => jobWith([{ job, artifacts: true, pipeline }]);
    expect(
      await crossNeedDependencies(need('$PARENT_PIPELINE_ID'), {
        ...context,
        client,
        parentPipelineId: 2,
        parentJobIds,
      }),
    ).toEqual([41]);
    expect(
      await crossNeedDependencies(need('2'), { ...context, client, parentPipelineId: 2, parentJobIds }),
    ).toEqual([41]);
    await expect(
      crossNeedDependencies(need('$PARENT_PIPELINE_ID', 'lint'), {
        ...context,
        client,
        parentPipelineId: 2,
        parentJobIds,
      }),
    ).rejects.toThrow('needs:pipeline: the parent pipeline has no job lint that ran');
    await expect(
      crossNeedDependencies(need('77'), { ...context, client, parentPipelineId: 2, parentJobIds }),
    ).rejects.toThrow('glci runs the jobs of the parent pipeline ($PARENT_PIPELINE_ID) only');
    await expect(
      crossNeedDependencies(
        jobWith([{ job: 'publish-schemas', artifacts: true, project: 'acme/platform/schemas', ref: 'main' }]),
        { ...context, client },
      ),
    ).rejects.toThrow(/needs glci's connection to the GitLab instance/);
  });
});
