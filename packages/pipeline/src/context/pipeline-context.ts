import { PipelineUsageError } from '../errors.js';
import type { CommitFacts, GitFacts } from '../git/git-facts.js';
import type { ContextSpec } from './context-spec.js';

/** `CI_PIPELINE_SOURCE` values glci produces. */
export type PipelineSource = 'push' | 'merge_request_event' | 'parent_pipeline' | 'pipeline';

export interface ProjectInfo {
  /** `group/sub/project` */
  readonly path: string;
  readonly id: number;
  /** `https://gitlab.example.com`, from the `origin` remote (or `https://gitlab.com`). */
  readonly serverUrl: string;
  /** Absolute directory of the checkout. */
  readonly dir: string;
}

export interface MergeRequestInfo {
  readonly iid: number;
  readonly title: string;
  readonly sourceBranch: string;
  readonly targetBranch: string;
  /** The target branch's commit and the merge base, when git knows the target branch. */
  readonly targetSha?: string;
  readonly diffBaseSha?: string;
}

/** What rules:changes compares with when it has no `compare_to`. */
export type ChangesBase =
  | { readonly kind: 'all' }
  | { readonly kind: 'diff'; readonly base: string; readonly mergeBase: boolean };

/** The pipeline being planned: its source, ref and commit, and how `changes:` is computed. */
export interface PipelineContext {
  readonly spec: ContextSpec;
  readonly source: PipelineSource;
  readonly refType: 'branch' | 'tag';
  /** The branch or tag name (a merge request's source branch). */
  readonly ref: string;
  readonly commit: CommitFacts;
  readonly beforeSha: string;
  readonly defaultBranch: string;
  readonly project: ProjectInfo;
  readonly mergeRequest?: MergeRequestInfo;
  /** `env=NAME`: `CI_ENVIRONMENT_NAME` for every job. */
  readonly environmentName?: string;
  readonly changesBase: ChangesBase;
  /** Dirty mode: untracked and uncommitted files count for `exists` and `changes`. */
  readonly dirty: boolean;
  /** Child pipelines: how deep (0 for the root pipeline). */
  readonly depth: number;
}

export interface ResolveContextOptions {
  readonly spec: ContextSpec;
  readonly git: GitFacts;
  readonly projectDir: string;
  /** Overrides the project path derived from the `origin` remote. */
  readonly projectPath?: string;
  readonly projectId?: number;
  /** `--mr-source` / `--mr-target`; default: the current branch and the default branch. */
  readonly mrSource?: string;
  readonly mrTarget?: string;
  readonly dirty: boolean;
}

const ZERO_SHA = '0'.repeat(40);

/** Reads the repository and builds the context glci documents for `--context`. */
export async function resolvePipelineContext(options: ResolveContextOptions): Promise<PipelineContext> {
  const { git, spec } = options;
  const [commit, currentBranch, detectedDefault, remote] = await Promise.all([
    git.commit(),
    git.branch(),
    git.defaultBranch(),
    git.remoteUrl(),
  ]);
  const defaultBranch = detectedDefault ?? currentBranch ?? 'main';
  const fromRemote = parseRemote(remote);
  const project: ProjectInfo = {
    path: options.projectPath ?? fromRemote?.path ?? `local/${basename(options.projectDir)}`,
    id: options.projectId ?? 1,
    serverUrl: fromRemote?.serverUrl ?? 'https://gitlab.com',
    dir: options.projectDir,
  };
  const base = { spec, commit, defaultBranch, project, dirty: options.dirty, depth: 0 };
  switch (spec.kind) {
    case 'branch': {
      const ref = spec.name ?? currentBranch;
      if (!ref) throw new PipelineUsageError('HEAD is detached: name the branch with --context branch=NAME');
      const upstream = await git.upstreamSha();
      return {
        ...base,
        source: 'push',
        refType: 'branch',
        ref,
        beforeSha: upstream ?? ZERO_SHA,
        changesBase: upstream ? { kind: 'diff', base: upstream, mergeBase: false } : { kind: 'all' },
      };
    }
    case 'tag': {
      const ref = spec.name ?? (await git.tagsAtHead())[0];
      if (!ref) throw new PipelineUsageError('no tag points at HEAD: name the tag with --context tag=NAME');
      return {
        ...base,
        source: 'push',
        refType: 'tag',
        ref,
        beforeSha: ZERO_SHA,
        changesBase: { kind: 'all' },
      };
    }
    case 'env': {
      const tag = currentBranch ? undefined : (await git.tagsAtHead())[0];
      const ref = currentBranch ?? tag;
      if (!ref)
        throw new PipelineUsageError(
          'HEAD is detached and no tag points at it: --context env=NAME keeps the branch or tag from git',
        );
      const upstream = currentBranch ? await git.upstreamSha() : undefined;
      return {
        ...base,
        source: 'push',
        refType: currentBranch ? 'branch' : 'tag',
        ref,
        beforeSha: upstream ?? ZERO_SHA,
        environmentName: spec.name,
        changesBase: upstream ? { kind: 'diff', base: upstream, mergeBase: false } : { kind: 'all' },
      };
    }
    case 'merge_request': {
      const sourceBranch = options.mrSource ?? currentBranch;
      if (!sourceBranch)
        throw new PipelineUsageError(
          'HEAD is detached: name the merge request source with --mr-source BRANCH',
        );
      const targetBranch = options.mrTarget ?? defaultBranch;
      const targetSha = await git.resolve(targetBranch);
      const diffBaseSha = targetSha ? await git.mergeBase(targetSha, commit.sha) : undefined;
      return {
        ...base,
        source: 'merge_request_event',
        refType: 'branch',
        ref: sourceBranch,
        beforeSha: ZERO_SHA,
        mergeRequest: {
          iid: 1,
          title: 'local',
          sourceBranch,
          targetBranch,
          ...(targetSha ? { targetSha } : {}),
          ...(diffBaseSha ? { diffBaseSha } : {}),
        },
        changesBase: targetSha ? { kind: 'diff', base: targetSha, mergeBase: true } : { kind: 'all' },
      };
    }
  }
}

/** `https://host/group/project.git`, `git@host:group/project.git`, `ssh://git@host:22/group/project`. */
export function parseRemote(url: string | undefined): { serverUrl: string; path: string } | undefined {
  if (!url) return undefined;
  const scp = /^[^@/]+@([^:/]+):(.+?)(?:\.git)?\/?$/.exec(url);
  if (scp) return { serverUrl: `https://${scp[1]}`, path: scp[2]! };
  try {
    const parsed = new URL(url);
    const path = parsed.pathname
      .replace(/^\/+/, '')
      .replace(/\.git\/?$/, '')
      .replace(/\/+$/, '');
    if (!path.includes('/')) return undefined;
    const protocol = parsed.protocol === 'http:' ? 'http:' : 'https:';
    const port =
      parsed.protocol === 'http:' || parsed.protocol === 'https:'
        ? parsed.port
          ? `:${parsed.port}`
          : ''
        : '';
    return { serverUrl: `${protocol}//${parsed.hostname}${port}`, path };
  } catch {
    return undefined;
  }
}

function basename(dir: string): string {
  return dir.replace(/\/+$/, '').split('/').at(-1) || 'project';
}
