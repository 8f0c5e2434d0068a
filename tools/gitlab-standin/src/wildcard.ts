/**
 * Whether a protected branch or tag rule (`main`, `release/*`) covers a ref name, as GitLab's
 * ProtectedRefMatcher decides: an exact name, or `*` standing for any characters, `/` included.
 * The stand-in has its own copy so that glci's matcher is checked against it, not against itself.
 */
export function matchesProtectedName(rule: string, name: string): boolean {
  if (rule === name) return true;
  if (!rule.includes('*')) return false;
  const pattern = rule
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(`^${pattern}$`).test(name);
}
