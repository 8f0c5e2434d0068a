/** `$NAME`, `${NAME}` and `$$` (a literal `$`), as GitLab and the runner expand them. */
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export interface ExpandOptions {
  /** Keep `$NAME` as written when NAME is not defined (default: it becomes empty, as in the runner). */
  readonly keepUnknown?: boolean;
}

/** Replaces variable references in `text` using `lookup`; `$$` stays `$$` unless `unescape`. */
export function expandText(
  text: string,
  lookup: (name: string) => string | undefined,
  options: ExpandOptions = {},
): string {
  if (!text.includes('$')) return text;
  return text.replace(REFERENCE, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$') return match;
    const value = lookup((braced ?? bare)!);
    if (value !== undefined) return value;
    return options.keepUnknown ? match : '';
  });
}

/** The names `text` refers to, in order of appearance. */
export function referencedNames(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    if (match[0] !== '$$') names.push((match[1] ?? match[2])!);
  }
  return names;
}

export interface ExpandableVariable {
  readonly value: string;
  /** `expand: false` (or a file/raw variable): the value is used exactly as written. */
  readonly raw?: boolean;
}

export interface ExpandedVariables {
  readonly values: Map<string, string>;
  /** Names that take part in a reference cycle; their values are left unexpanded. */
  readonly cycles: string[];
}

/**
 * Expands every variable's references to the others, as GitLab does before it evaluates rules and
 * builds the job (`sort_and_expand_all`): a variable may refer to one defined in any layer, in any
 * order; raw variables are not expanded; a cycle leaves the values in it as written.
 */
export function expandAll(variables: ReadonlyMap<string, ExpandableVariable>): ExpandedVariables {
  const values = new Map<string, string>();
  const cycles = new Set<string>();
  const visiting = new Set<string>();
  const resolve = (name: string): string | undefined => {
    const done = values.get(name);
    if (done !== undefined) return done;
    const variable = variables.get(name);
    if (!variable) return undefined;
    if (variable.raw || !variable.value.includes('$')) {
      values.set(name, variable.value);
      return variable.value;
    }
    if (visiting.has(name)) {
      for (const each of visiting) cycles.add(each);
      return variable.value;
    }
    visiting.add(name);
    const expanded = expandText(variable.value, (inner) => resolve(inner), { keepUnknown: true });
    visiting.delete(name);
    const result = cycles.has(name) ? variable.value : expanded;
    values.set(name, result);
    return result;
  };
  for (const name of variables.keys()) resolve(name);
  return { values, cycles: [...cycles] };
}
