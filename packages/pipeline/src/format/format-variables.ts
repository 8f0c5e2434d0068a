import type { RuleTrace } from '../rules/evaluate-rules.js';
import type { ResolvedVariables } from '../variables/layers.js';
import { formatLocation } from '../yaml/source-map.js';

/**
 * `glci variables JOB`: each variable, its value, where it came from (for a CI/CD variable of the
 * instance: its level, environment scope and protection) and what it overrode. Masked values are
 * `[MASKED]` unless `reveal`.
 */
export function formatVariablesText(
  variables: ResolvedVariables,
  options: { all: boolean; reveal?: boolean },
): string {
  const rows = [...variables.variables.values()].filter(
    (variable) => options.all || (variable.source !== 'predefined' && variable.source !== 'job-predefined'),
  );
  rows.sort((a, b) => a.name.localeCompare(b.name));
  if (rows.length === 0)
    return options.all
      ? '(no variables)\n'
      : '(no variables besides the predefined ones; --all lists those)\n';
  const width = Math.max(...rows.map((row) => row.name.length));
  const lines: string[] = [];
  for (const row of rows) {
    const hide = row.entry.masked && !options.reveal;
    const shown = hide ? '[MASKED]' : JSON.stringify(row.value);
    const notes = [
      ...(row.entry.raw ? ['not expanded'] : []),
      ...(!hide && !row.entry.raw && !row.entry.file && row.value !== row.entry.value
        ? [`written ${JSON.stringify(row.entry.value)}`]
        : []),
      ...(row.entry.file ? ['file: the job gets a path to it'] : []),
    ];
    const ciCd = row.entry.ciCd;
    const scope = ciCd
      ? ` (environment ${ciCd.environmentScope}${ciCd.protected ? ', protected' : ''}${row.entry.masked ? ', masked' : ''})`
      : '';
    lines.push(
      `${row.name.padEnd(width)}  ${shown}${notes.length ? ` (${notes.join('; ')})` : ''}  ← ${row.label}${scope}`,
    );
    for (const earlier of row.overridden)
      lines.push(
        `${''.padEnd(width)}    overrides ${hide ? '[MASKED]' : JSON.stringify(earlier.value)} from ${earlier.label}`,
      );
  }
  if (variables.cycles.length > 0)
    lines.push('', `reference cycle (left unexpanded): ${variables.cycles.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** The rule evaluation trace: each rule evaluated, its clauses and the variables an `if` read (`hidden` ones as `[MASKED]`). */
export function formatRuleTrace(trace: readonly RuleTrace[], hidden?: ReadonlySet<string>): string {
  if (trace.length === 0) return '';
  const lines: string[] = [];
  for (const rule of trace) {
    lines.push(
      `rule ${rule.index + 1}${rule.location ? ` (${formatLocation(rule.location)})` : ''}: ${rule.matched ? 'matched' : 'did not match'}`,
    );
    if (rule.if) {
      lines.push(`  if: ${rule.if.expression} → ${rule.if.result}`);
      for (const [name, value] of Object.entries(rule.if.variables))
        lines.push(
          `      $${name} = ${value === null ? '(undefined)' : hidden?.has(name) ? '[MASKED]' : JSON.stringify(value)}`,
        );
    }
    if (rule.changes)
      lines.push(
        `  changes: [${rule.changes.paths.join(', ')}] → ${rule.changes.result}${rule.changes.matched === 'all' ? ' (no base to compare with: every path counts as changed)' : rule.changes.matched.length ? ` (${rule.changes.matched.slice(0, 5).join(', ')}${rule.changes.matched.length > 5 ? ', …' : ''})` : ''}`,
      );
    if (rule.exists)
      lines.push(
        `  exists: [${rule.exists.paths.join(', ')}] → ${rule.exists.result}${rule.exists.matched.length ? ` (${rule.exists.matched.slice(0, 5).join(', ')})` : ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
