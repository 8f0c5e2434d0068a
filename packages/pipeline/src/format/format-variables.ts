import type { RuleTrace } from '../rules/evaluate-rules.js';
import type { ResolvedVariables } from '../variables/layers.js';
import { formatLocation } from '../yaml/source-map.js';

/** `glci variables JOB`: each variable, its value, where it came from and what it overrode. */
export function formatVariablesText(variables: ResolvedVariables, options: { all: boolean }): string {
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
    const shown = row.entry.masked ? '[masked]' : JSON.stringify(row.value);
    const raw = row.entry.raw
      ? ' (not expanded)'
      : row.value !== row.entry.value
        ? ` (written ${JSON.stringify(row.entry.value)})`
        : '';
    lines.push(`${row.name.padEnd(width)}  ${shown}${raw}  ← ${row.label}`);
    for (const earlier of row.overridden)
      lines.push(`${''.padEnd(width)}    overrides ${JSON.stringify(earlier.value)} from ${earlier.label}`);
  }
  if (variables.cycles.length > 0)
    lines.push('', `reference cycle (left unexpanded): ${variables.cycles.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** The rule evaluation trace: each rule evaluated, its clauses and the variables an `if` read. */
export function formatRuleTrace(trace: readonly RuleTrace[]): string {
  if (trace.length === 0) return '';
  const lines: string[] = [];
  for (const rule of trace) {
    lines.push(
      `rule ${rule.index + 1}${rule.location ? ` (${formatLocation(rule.location)})` : ''}: ${rule.matched ? 'matched' : 'did not match'}`,
    );
    if (rule.if) {
      lines.push(`  if: ${rule.if.expression} → ${rule.if.result}`);
      for (const [name, value] of Object.entries(rule.if.variables))
        lines.push(`      $${name} = ${value === null ? '(undefined)' : JSON.stringify(value)}`);
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
