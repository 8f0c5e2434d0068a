export type RunnerTier = 'shared' | 'project' | 'named';

export interface RunnerNameParts {
  /** The `{suffix}` in `glci-runner-{suffix}`. */
  readonly suffix: string;
  readonly tier: RunnerTier;
  /** Required for `project` and `named` runners. */
  readonly project?: string;
  /** Required for `named` runners. */
  readonly name?: string;
}

/** `glci-runner-<suffix>`, `glci-runner-<suffix>-<project>`, `glci-runner-<suffix>-<project>-<name>`. */
export function runnerName(prefix: string, spec: RunnerNameParts): string {
  const parts = [`${prefix}-runner`, spec.suffix];
  if (spec.tier !== 'shared') {
    if (!spec.project) throw new Error(`a ${spec.tier} runner needs a project`);
    parts.push(dockerNamePart(spec.project));
  }
  if (spec.tier === 'named') {
    if (!spec.name) throw new Error('a named runner needs a name');
    parts.push(dockerNamePart(spec.name));
  }
  return parts.join('-');
}

/** A project path or runner name as a Docker name part (`group/app` → `group-app`). */
export function dockerNamePart(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}
