import type { PipelineContext } from '../context/pipeline-context.js';
import type { PipelinePlan } from './plan-types.js';

/** The plain-data facts of the context a plan was made for (`PipelinePlan.context`). */
export function summarizeContext(context: PipelineContext): PipelinePlan['context'] {
  return {
    source: context.source,
    refType: context.refType,
    ref: context.ref,
    sha: context.commit.sha,
    beforeSha: context.beforeSha,
    defaultBranch: context.defaultBranch,
    projectPath: context.project.path,
    projectDir: context.project.dir,
    ...(context.mergeRequest
      ? {
          mergeRequest: {
            iid: context.mergeRequest.iid,
            sourceBranch: context.mergeRequest.sourceBranch,
            targetBranch: context.mergeRequest.targetBranch,
          },
        }
      : {}),
    ...(context.environmentName ? { environmentName: context.environmentName } : {}),
    commit: {
      message: context.commit.message,
      authorName: context.commit.authorName,
      authorEmail: context.commit.authorEmail,
      timestamp: context.commit.timestamp,
    },
    dirty: context.dirty,
  };
}
