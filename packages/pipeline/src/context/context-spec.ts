import { PipelineUsageError } from '../errors.js';

/** What `--context` asks for (glci's contexts: branch, merge request, tag, environment). */
export type ContextSpec =
  | { readonly kind: 'branch'; readonly name?: string }
  | { readonly kind: 'merge_request'; readonly source?: string; readonly target?: string }
  | { readonly kind: 'tag'; readonly name?: string }
  | { readonly kind: 'env'; readonly name: string };

/**
 * `branch=NAME`, `branch` (the current branch), `merge_request` (also `mr`; the default), `tag=NAME`,
 * `tag` (the tag at HEAD) or `env=NAME`.
 */
export function parseContextSpec(text: string): ContextSpec {
  const [kind = '', ...rest] = text.trim().split('=');
  const value = rest.join('=').trim();
  switch (kind.trim()) {
    case 'branch':
      return value ? { kind: 'branch', name: value } : { kind: 'branch' };
    case 'merge_request':
    case 'mr':
      if (value)
        throw new PipelineUsageError(
          `--context merge_request takes no value; use --mr-source and --mr-target`,
        );
      return { kind: 'merge_request' };
    case 'tag':
      return value ? { kind: 'tag', name: value } : { kind: 'tag' };
    case 'env':
      if (!value) throw new PipelineUsageError('--context env=NAME needs an environment name');
      return { kind: 'env', name: value };
    default:
      throw new PipelineUsageError(
        `unknown context "${text}": expected branch=NAME, merge_request, tag=NAME or env=NAME`,
      );
  }
}

export function formatContextSpec(spec: ContextSpec): string {
  switch (spec.kind) {
    case 'branch':
      return spec.name ? `branch=${spec.name}` : 'branch';
    case 'merge_request':
      return 'merge_request';
    case 'tag':
      return spec.name ? `tag=${spec.name}` : 'tag';
    case 'env':
      return `env=${spec.name}`;
  }
}
