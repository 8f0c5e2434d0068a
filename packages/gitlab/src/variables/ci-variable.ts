import type { ApiVariable } from '../api/schemas.js';

/** Where a CI/CD variable is defined on the instance. */
export type VariableLevel =
  | { readonly kind: 'instance' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'project'; readonly project: string };

/** A CI/CD variable as GitLab stores it, with where it came from. */
export interface CiVariable {
  readonly key: string;
  /** `undefined` for a hidden variable: GitLab never hands its value out, not even to Maintainers. */
  readonly value: string | undefined;
  /** `file`: the runner writes the value to a file and the variable holds the file's path. */
  readonly variableType: 'env_var' | 'file';
  /** Only for pipelines of protected branches and tags. */
  readonly protected: boolean;
  /** The runner replaces the value with `[MASKED]` in job logs. */
  readonly masked: boolean;
  readonly hidden: boolean;
  /** The value is taken as it is: `$OTHER` in it is not expanded. */
  readonly raw: boolean;
  /** `*`, an environment name, or a pattern with `*` (`review/*`); instance variables have `*`. */
  readonly environmentScope: string;
  readonly description: string | undefined;
  readonly level: VariableLevel;
}

export function fromApiVariable(variable: ApiVariable, level: VariableLevel): CiVariable {
  return {
    key: variable.key,
    value: variable.value ?? undefined,
    variableType: variable.variable_type,
    protected: variable.protected,
    masked: variable.masked,
    hidden: variable.hidden ?? false,
    raw: variable.raw ?? false,
    environmentScope: variable.environment_scope ?? '*',
    description: variable.description ?? undefined,
    level,
  };
}

/** `instance`, `group acme/platform`, `project acme/platform/web-app`: where a variable comes from, shown. */
export function describeLevel(level: VariableLevel): string {
  return level.kind === 'instance'
    ? 'instance'
    : level.kind === 'group'
      ? `group ${level.group}`
      : `project ${level.project}`;
}

/** A variable's value as `glci variables` shows it: masked and hidden values stay hidden unless asked. */
export function displayValue(variable: CiVariable, options: { readonly reveal?: boolean } = {}): string {
  if (variable.value === undefined) return '[HIDDEN]';
  if (variable.masked && !options.reveal) return '[MASKED]';
  return variable.value;
}
