import path from 'node:path';
import { createProjectFiles, type ProjectFiles } from './config/project-files.js';
import { type PipelineContext, resolvePipelineContext } from './context/pipeline-context.js';
import { openGitRepository } from './git/git-cli.js';
import type { GitFacts } from './git/git-facts.js';
import type { PlanProjectOptions } from './plan-request.js';

/** The repository, the context GitLab would plan for, and the project's files. */
export async function openProject(
  options: PlanProjectOptions,
): Promise<{ context: PipelineContext; git: GitFacts; files: ProjectFiles }> {
  const spec = options.context ?? { kind: 'merge_request' };
  const { root, git } = options.git
    ? { root: path.resolve(options.dir), git: options.git }
    : await openGitRepository(options.dir, { upstream: spec.kind === 'branch' || spec.kind === 'env' });
  const dirty = options.dirty ?? true;
  const context = withServer(
    await resolvePipelineContext({
      spec,
      git,
      projectDir: root,
      dirty,
      ...(options.projectPath ? { projectPath: options.projectPath } : {}),
      ...(options.mrSource ? { mrSource: options.mrSource } : {}),
      ...(options.mrTarget ? { mrTarget: options.mrTarget } : {}),
    }),
    options.gitlab?.serverUrl,
  );
  return { context, git, files: createProjectFiles({ root, git, dirty }) };
}

/** `CI_SERVER_*` of the configured GitLab instance, when there is one. */
export function withServer(context: PipelineContext, serverUrl: string | undefined): PipelineContext {
  return serverUrl ? { ...context, project: { ...context.project, serverUrl } } : context;
}
