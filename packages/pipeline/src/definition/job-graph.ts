import type { PipelineIssue } from '../errors.js';
import { expandParallel } from '../plan/parallel.js';
import {
  isCrossPipelineNeed,
  type JobDefinition,
  type NeedDefinition,
  type PipelineDefinition,
} from './types.js';

/**
 * The pipeline's jobs as GitLab's `Config::Normalizer` names them: a `parallel` job becomes its
 * instances (`build 1/2`, `build: [x86]`), every other job keeps its name. Needs and dependencies
 * are checked against these names, so a need may name one instance.
 */
export class NormalizedJobs {
  /** Instance name → its job definition and stage index. */
  readonly instances = new Map<string, { readonly job: JobDefinition; readonly stageIndex: number }>();
  /** A parallel job's name → its instances' names. */
  readonly parallelized = new Map<string, readonly string[]>();

  constructor(readonly definition: PipelineDefinition) {
    for (const job of definition.jobs) {
      const stageIndex = definition.stages.indexOf(job.stage);
      const names = expandParallel(job.name, job.parallel).map((instance) => instance.name);
      if (job.parallel) this.parallelized.set(job.name, names);
      for (const name of names) this.instances.set(name, { job, stageIndex });
    }
  }

  /**
   * The names a need stands for (`Normalizer#expand_parallelized_needs`): a parallel job's
   * instances, or, with `parallel:matrix`, the instances that selector names (built from its
   * values, whether or not the job has them); any other name as written.
   */
  needNames(need: NeedDefinition): string[] {
    const instances = this.parallelized.get(need.job);
    if (!instances) return [need.job];
    if (!need.matrix) return [...instances];
    return expandParallel(need.job, { kind: 'matrix', matrix: need.matrix }).map((instance) => instance.name);
  }

  /** `dependencies` names (`expand_parallelized_job_names`): a parallel job stands for its instances. */
  dependencyNames(name: string): readonly string[] {
    return this.parallelized.get(name) ?? [name];
  }
}

/**
 * GitLab's logical validation of the jobs after the keywords are valid (`YamlProcessor`'s
 * `validate_job!` and `check_circular_dependencies`, and `Entry::Job`'s dependencies-in-needs
 * check), which CI Lint runs too: every need and dependency names a job in the current or an
 * earlier stage, no need is listed twice, `on_stop` names a stopping job of the same environment,
 * and needs form no cycle. Messages are GitLab's.
 */
export function checkJobGraph(definition: PipelineDefinition): PipelineIssue[] {
  const normalized = new NormalizedJobs(definition);
  const issues: PipelineIssue[] = [];
  const seen = new Set<string>();
  const add = (job: JobDefinition, keyPath: string, message: string) => {
    const key = `${keyPath}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push({ keyPath, message, ...(job.location ? { location: job.location } : {}) });
  };

  for (const job of definition.jobs) {
    const jobNeeds = job.needs?.filter((need) => !isCrossPipelineNeed(need)) ?? [];
    if (job.dependencies?.length && job.needs?.length) {
      const named = new Set(jobNeeds.map((need) => need.job));
      const missing = job.dependencies.filter((name) => !named.has(name));
      if (missing.length > 0)
        add(job, `jobs:${job.name}:dependencies`, `the ${missing.join(', ')} should be part of needs`);
    }
  }

  for (const [name, { job, stageIndex }] of normalized.instances) {
    const check = (dependency: string, kind: 'need' | 'dependency', optional: boolean) => {
      const target = normalized.instances.get(dependency);
      if (!target) {
        if (!optional) add(job, '', `${name} job: undefined ${kind}: ${dependency}`);
        return;
      }
      if (target.stageIndex > stageIndex)
        add(job, '', `${name} job: ${kind} ${dependency} is not defined in current or prior stages`);
    };
    for (const dependency of job.dependencies ?? [])
      for (const each of normalized.dependencyNames(dependency)) check(each, 'dependency', false);
    const needLists = [job.needs ?? [], ...(job.rules ?? []).map((rule) => rule.needs ?? [])];
    for (const needs of needLists) {
      const names: string[] = [];
      for (const need of needs) {
        if (isCrossPipelineNeed(need)) continue;
        for (const each of normalized.needNames(need)) {
          check(each, 'need', need.optional);
          names.push(each);
        }
      }
      const duplicated = [...new Set(names.filter((each, index) => names.indexOf(each) !== index))];
      if (duplicated.length > 0)
        add(job, '', `${name} has the following needs duplicated: ${duplicated.join(', ')}.`);
    }
    const onStop = job.environment?.onStop;
    if (onStop !== undefined) {
      const stopping = normalized.instances.get(onStop)?.job;
      const problem = !stopping
        ? 'is not defined'
        : !stopping.environment
          ? 'does not have environment defined'
          : stopping.environment.name !== job.environment!.name
            ? 'have different environment name'
            : stopping.environment.action !== 'stop'
              ? 'needs to have action stop defined'
              : undefined;
      if (problem) add(job, '', `${name} job: on_stop job ${onStop} ${problem}`);
    }
  }

  const cycle = findCycle(normalized);
  if (cycle) {
    const job = normalized.instances.get(cycle.names[0]!)!.job;
    add(job, '', `The pipeline has circular dependencies: ${cycle.message}`);
  }
  return issues;
}

/**
 * Ruby's `TSort` over the job-level needs, as GitLab's `Dag` runs it: a job that needs itself is a
 * `self-dependency`, a larger strongly connected component makes the sort fail.
 */
function findCycle(normalized: NormalizedJobs): { names: string[]; message: string } | undefined {
  const edges = new Map<string, string[]>();
  for (const [name, { job }] of normalized.instances) {
    const needs = (job.needs ?? []).filter((need) => !isCrossPipelineNeed(need));
    edges.set(
      name,
      needs.flatMap((need) => normalized.needNames(need)),
    );
  }
  // Tarjan's algorithm, iterating nodes and children in order, as TSort does.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let found: { names: string[]; message: string } | undefined;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    const children = edges.get(node) ?? [];
    if (children.includes(node) && !found) found = { names: [node], message: `self-dependency: ${node}` };
    for (const child of children) {
      if (found) return;
      if (!edges.has(child)) continue;
      if (!index.has(child)) {
        visit(child);
        low.set(node, Math.min(low.get(node)!, low.get(child)!));
      } else if (onStack.has(child)) low.set(node, Math.min(low.get(node)!, index.get(child)!));
    }
    if (found || low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.unshift(member);
    } while (member !== node);
    if (component.length > 1)
      found = {
        names: component,
        message: `topological sort failed: [${component.map((each) => JSON.stringify(each)).join(', ')}]`,
      };
  };
  for (const node of edges.keys()) {
    if (found) break;
    if (!index.has(node)) visit(node);
  }
  return found;
}
