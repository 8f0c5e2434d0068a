import type { PipelinePlan } from '@glci/pipeline';
import { packRepository } from '@glci/runner-api';
import type { MockClient } from '../mock-client.js';

/**
 * Sends a plan's commit (or its dirty work tree) to the mock as a git pack, leaving out what the
 * mock has already; resolves with the commit the mock serves.
 */
export async function sendRepository(
  client: MockClient,
  plan: PipelinePlan,
  pipelineId: number,
): Promise<string> {
  const project = plan.context.projectPath;
  const packed = await packRepository({
    repoDir: plan.context.projectDir,
    dirty: plan.context.dirty,
    rev: plan.context.sha,
    exclude: await client.knownCommits(project),
  });
  const sent = await client.sendPack(packed.pack, {
    project,
    sha: packed.sha,
    ref: plan.context.ref,
    refType: plan.context.refType,
    pipelineId,
  });
  return sent.sha;
}
