import type { ParallelDefinition } from '../definition/types.js';

export interface JobInstance {
  readonly name: string;
  readonly index: number;
  readonly total: number;
  readonly matrix?: Readonly<Record<string, string>>;
}

/**
 * The jobs `parallel:` creates, named as GitLab names them: `job 1/3` … `job 3/3` for a count, and
 * `job: [a, b]` for a matrix (values in the order the entry lists its variables; the first
 * variable varies slowest). Without `parallel`, the job itself.
 */
export function expandParallel(name: string, parallel: ParallelDefinition | undefined): JobInstance[] {
  if (!parallel) return [{ name, index: 1, total: 1 }];
  if (parallel.kind === 'count') {
    return Array.from({ length: parallel.total }, (_, i) => ({
      name: `${name} ${i + 1}/${parallel.total}`,
      index: i + 1,
      total: parallel.total,
    }));
  }
  const combinations: Record<string, string>[] = [];
  for (const entry of parallel.matrix) {
    let partial: Record<string, string>[] = [{}];
    for (const [variable, values] of Object.entries(entry)) {
      partial = partial.flatMap((combination) =>
        values.map((value) => ({ ...combination, [variable]: value })),
      );
    }
    combinations.push(...partial);
  }
  return combinations.map((matrix, i) => ({
    name: `${name}: [${Object.values(matrix).join(', ')}]`,
    index: i + 1,
    total: combinations.length,
    matrix,
  }));
}

/** Whether an instance's matrix values fit a `needs:parallel:matrix` filter entry. */
export function matrixMatches(
  instance: Readonly<Record<string, string>> | undefined,
  filter: Readonly<Record<string, readonly string[]>>,
): boolean {
  if (!instance) return false;
  const keys = Object.keys(filter);
  if (keys.length !== Object.keys(instance).length) return false;
  return keys.every((key) => filter[key]!.includes(instance[key] ?? '\0'));
}
