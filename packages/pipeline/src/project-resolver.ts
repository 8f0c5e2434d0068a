import path from 'node:path';
import type { ProjectResolver } from './config/load-config.js';
import { createProjectFiles, type ProjectFiles } from './config/project-files.js';
import { createGitCli, findRepositoryRoot } from './git/git-cli.js';
import type { ProjectMapping } from './plan-request.js';

/**
 * Other projects' local checkouts, as `[projects."group/proj"] dir` and `--project-dir` map them
 * (relative to `baseDir`), each read as its working tree; `undefined` for a project not mapped.
 */
export function createProjectResolver(
  options: { readonly projects?: Readonly<Record<string, ProjectMapping>> | undefined },
  baseDir: string,
): ProjectResolver {
  const cache = new Map<string, Promise<ProjectFiles | undefined>>();
  return {
    project(projectPath) {
      let files = cache.get(projectPath);
      if (!files) {
        const mapping = options.projects?.[projectPath];
        files = mapping
          ? (async () => {
              const dir = path.resolve(baseDir, mapping.dir);
              const root = await findRepositoryRoot(dir);
              return createProjectFiles({ root, git: createGitCli(root), dirty: true });
            })()
          : Promise.resolve(undefined);
        cache.set(projectPath, files);
      }
      return files;
    },
  };
}
