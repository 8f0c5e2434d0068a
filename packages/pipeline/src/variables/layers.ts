import { PipelineUsageError } from '../errors.js';
import { expandText } from './expand.js';

/**
 * Where a variable came from. The order of `VARIABLE_PRECEDENCE` is GitLab's documented
 * precedence, lowest first (a later layer's value wins): predefined variables, then what the YAML
 * says (global, workflow rules, job, matrix, job rules), then dotenv reports, then the variables
 * the project's CI/CD variables from its GitLab instance (instance, groups top-level first,
 * project), then the variables the pipeline was started with (glci's `.glci.env`, a preset's
 * `env`, `--env-file` and `--env`, as GitLab's pipeline variables), and last the local
 * `[jobs."name"].variables`. glci's own docs list `--env`, dotenv and the CI/CD variables *below*
 * the job's YAML variables; GitLab lets dotenv reports, CI/CD variables and pipeline variables
 * override the YAML, which is also what a user passing `--env` expects, so this follows GitLab.
 */
export type VariableSource =
  | 'predefined'
  | 'job-predefined'
  | 'yaml-global'
  | 'workflow-rules'
  | 'instance'
  | 'group'
  | 'project'
  | 'cli-env'
  | 'env-file'
  | 'glci-env'
  | 'parent-pipeline'
  | 'preset'
  | 'dotenv'
  | 'yaml-job'
  | 'matrix'
  | 'rules'
  | 'config-job';

export const VARIABLE_PRECEDENCE: readonly VariableSource[] = [
  'predefined',
  'job-predefined',
  'yaml-global',
  'workflow-rules',
  'yaml-job',
  'matrix',
  'rules',
  'dotenv',
  'instance',
  'group',
  'project',
  'glci-env',
  'preset',
  'env-file',
  'parent-pipeline',
  'cli-env',
  'config-job',
];

/**
 * The layers that outrank dotenv reports. The mock inserts a job's dotenv variables at dispatch,
 * between the job spec's `variables` and its `pipeline_variables`, so `toJobSpec` sends these in
 * the latter.
 */
export const PIPELINE_LEVEL_SOURCES: ReadonlySet<VariableSource> = new Set(
  VARIABLE_PRECEDENCE.slice(VARIABLE_PRECEDENCE.indexOf('dotenv') + 1),
);

export interface VariableEntry {
  readonly name: string;
  readonly value: string;
  /** Not expanded (`expand: false`). */
  readonly raw?: boolean;
  readonly masked?: boolean;
  /** A file-type variable: the runner writes the value to a file and sets the path. */
  readonly file?: boolean;
  readonly description?: string;
  /** A CI/CD variable of the GitLab instance: where it is defined and for what. Its value stays in memory. */
  readonly ciCd?: CiCdOrigin;
}

/** Where a CI/CD variable comes from on the instance, as `glci variables` shows it. */
export interface CiCdOrigin {
  /** `instance`, `group acme/platform`, `project acme/platform/web-app`. */
  readonly level: string;
  readonly environmentScope: string;
  readonly protected: boolean;
}

export interface VariableLayer {
  readonly source: VariableSource;
  /** Where exactly: `--env`, `.env.local`, `jobs:build:variables`, `workflow:rules:rule 2`… */
  readonly label: string;
  readonly entries: readonly VariableEntry[];
}

export interface ResolvedVariable {
  readonly name: string;
  /** After expanding references to other variables (raw ones stay as written). */
  readonly value: string;
  readonly entry: VariableEntry;
  readonly source: VariableSource;
  readonly label: string;
  /** Lower layers that also set it, lowest first. */
  readonly overridden: readonly {
    readonly source: VariableSource;
    readonly label: string;
    readonly value: string;
  }[];
}

export interface ResolvedVariables {
  readonly variables: ReadonlyMap<string, ResolvedVariable>;
  /** Names in a reference cycle (their values are left as written). */
  readonly cycles: readonly string[];
  get(name: string): string | undefined;
}

/**
 * Resolves layers into one variable set: layers are ordered by `VARIABLE_PRECEDENCE` (stable for
 * layers of one source), the highest layer that sets a name wins, then values are expanded against
 * each other. The daemon inserts `dotenv` layers at dispatch time and calls this again.
 */
export function resolveVariables(layers: readonly VariableLayer[]): ResolvedVariables {
  const ordered = [...layers].sort(
    (a, b) => VARIABLE_PRECEDENCE.indexOf(a.source) - VARIABLE_PRECEDENCE.indexOf(b.source),
  );
  // Lazy: planning reads a few variables per job (rules, cache keys) out of a hundred predefined
  // ones, so a name's winner is looked up when it is read: the last entry of the highest layer.
  const winnerOf = (name: string): VariableEntry | undefined => {
    for (let layer = ordered.length - 1; layer >= 0; layer--) {
      const entries = ordered[layer]!.entries;
      for (let index = entries.length - 1; index >= 0; index--)
        if (entries[index]!.name === name) return entries[index];
    }
    return undefined;
  };
  const expanded = new Map<string, string>();
  const visiting = new Set<string>();
  const cycles = new Set<string>();
  const get = (name: string): string | undefined => {
    const done = expanded.get(name);
    if (done !== undefined) return done;
    const entry = winnerOf(name);
    if (!entry) return undefined;
    if (entry.raw || entry.file || !entry.value.includes('$')) {
      expanded.set(name, entry.value);
      return entry.value;
    }
    if (visiting.has(name)) {
      for (const each of visiting) cycles.add(each);
      return entry.value;
    }
    visiting.add(name);
    const value = expandText(entry.value, get, { keepUnknown: true });
    visiting.delete(name);
    const result = cycles.has(name) ? entry.value : value;
    expanded.set(name, result);
    return result;
  };
  let variables: Map<string, ResolvedVariable> | undefined;
  const all = () => {
    if (variables) return variables;
    const winners = new Map<string, { entry: VariableEntry; layer: VariableLayer }>();
    for (const layer of ordered) for (const entry of layer.entries) winners.set(entry.name, { entry, layer });
    variables = new Map();
    for (const [name, { entry, layer }] of winners) {
      const overridden: { source: VariableSource; label: string; value: string }[] = [];
      for (const lower of ordered) {
        if (lower === layer) break;
        for (const other of lower.entries)
          if (other.name === name)
            overridden.push({ source: lower.source, label: lower.label, value: other.value });
      }
      variables.set(name, {
        name,
        value: get(name) ?? entry.value,
        entry,
        source: layer.source,
        label: layer.label,
        overridden,
      });
    }
    return variables;
  };
  return {
    get variables() {
      return all();
    },
    get cycles() {
      all();
      return [...cycles];
    },
    get,
  };
}

/**
 * `KEY=VALUE` lines (`.glci.env`, `--env-file`): `#` comments, optional `export `, quotes
 * stripped. Throws for a line that is not an assignment, naming the file and line.
 */
export function parseEnvFile(text: string, file = 'env file'): VariableEntry[] {
  const entries: VariableEntry[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match)
      throw new PipelineUsageError(
        `${file}:${index + 1}: expected KEY=VALUE, got ${JSON.stringify(line.slice(0, 80))}`,
      );
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted)
      value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"') : quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    entries.push({ name: match[1]!, value });
  }
  return entries;
}

/** `KEY=VALUE` from the command line; throws on anything else. */
export function parseAssignment(text: string): VariableEntry {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(text);
  if (!match) throw new Error(`expected KEY=VALUE, got "${text}"`);
  return { name: match[1]!, value: match[2]! };
}
