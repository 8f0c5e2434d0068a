/** The ref a pipeline runs for, as protection sees it. */
export type PipelineRef =
  | { readonly kind: 'branch'; readonly name: string }
  | { readonly kind: 'tag'; readonly name: string }
  /** A merge request pipeline runs for `refs/merge-requests/<iid>/head`, which is never protected. */
  | { readonly kind: 'merge_request' };

/** A project's protected branches and tags, as names or `*` wildcards (`main`, `release/*`, `v*`). */
export interface ProtectedRefRules {
  readonly branches: readonly string[];
  readonly tags: readonly string[];
}

/**
 * Whether a protected branch or tag rule covers a name, as GitLab's ProtectedRefMatcher decides: the
 * exact name, or a pattern where `*` stands for any characters, `/` included, matching the whole
 * name, case-sensitively.
 */
export function matchesProtectedRule(rule: string, name: string): boolean {
  if (!rule) return false;
  if (rule === name) return true;
  if (!rule.includes('*')) return false;
  const pattern = rule
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(`^${pattern}$`, 's').test(name);
}

/** Whether protected variables reach a pipeline of this ref (Project#protected_for?). */
export function isProtectedRef(ref: PipelineRef, rules: ProtectedRefRules): boolean {
  if (ref.kind === 'merge_request') return false;
  const list = ref.kind === 'branch' ? rules.branches : rules.tags;
  return list.some((rule) => matchesProtectedRule(rule, ref.name));
}
