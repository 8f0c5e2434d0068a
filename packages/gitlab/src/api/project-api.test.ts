import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, TOKENS } from '../test-support/fixtures.js';
import {
  downloadJobArtifacts,
  getProject,
  listProtectedBranches,
  listProtectedTags,
  listReleases,
} from './project-api.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

describe('project endpoints', () => {
  it("reads a project, its namespace and the caller's access", async () => {
    const project = await getProject(clientFor(standin, TOKENS.bob), 'acme/platform/web-app');
    expect(project).toMatchObject({
      path_with_namespace: 'acme/platform/web-app',
      default_branch: 'main',
      visibility: 'private',
      namespace: { full_path: 'acme/platform', kind: 'group' },
      permissions: { project_access: { access_level: 30 } },
    });
  });

  it('lists releases newest first, with their commits', async () => {
    const releases = await listReleases(clientFor(standin), 'acme/components/container');
    expect(releases.map((release) => release.tag_name)).toEqual([
      '2.1.0-rc.1',
      '1.2.0',
      '2.0.0',
      '1.1.0',
      '1.0.0',
    ]);
    expect(releases[0]?.commit?.id).toBe(standin.sha('acme/components/container', '2.1.0-rc.1'));
  });

  it('lists protected branches and tags, wildcards included', async () => {
    const client = clientFor(standin, TOKENS.ada);
    expect(await listProtectedBranches(client, 'acme/platform/web-app')).toEqual(['main', 'release/*']);
    expect(await listProtectedTags(client, 'acme/platform/web-app')).toEqual(['v*']);
    await expect(
      listProtectedBranches(clientFor(standin, TOKENS.bob), 'acme/platform/web-app'),
    ).rejects.toMatchObject({
      status: 403,
    });
  });

  it("downloads a job's artifacts by ref", async () => {
    const zip = await downloadJobArtifacts(
      clientFor(standin, TOKENS.ada),
      'acme/platform/schemas',
      'main',
      'publish-schemas',
    );
    expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(zip.includes(Buffer.from('schemas/order.json'))).toBe(true);
    await expect(
      downloadJobArtifacts(clientFor(standin, TOKENS.ada), 'acme/platform/schemas', 'main', 'no-such-job'),
    ).rejects.toThrow(/artifacts of job no-such-job of acme\/platform\/schemas at main: .* answered 404/);
  });
});
