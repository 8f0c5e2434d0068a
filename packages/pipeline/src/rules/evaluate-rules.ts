import type { PipelineContext } from '../context/pipeline-context.js';
import type { OnlyExceptDefinition, RuleDefinition } from '../definition/types.js';
import { type ExpressionCache, evaluateExpression } from '../expression/evaluate-expression.js';
import { expandText } from '../variables/expand.js';
import type { SourceLocation } from '../yaml/source-map.js';
import { GlobSet, normalizePath } from './glob.js';

/** The repository facts `changes:` and `exists:` need; memoized by the caller. */
export interface RuleEnvironment {
  /** The project's files (dirty mode: tracked and untracked, non-ignored). */
  files(): Promise<readonly string[]>;
  /** Changed files against `compareTo` (or the context's base); `'all'` when every path counts as changed. */
  changedFiles(compareTo: string | undefined): Promise<readonly string[] | 'all'>;
  /** Parses each distinct expression of one planning run once (optional). */
  readonly expressions?: ExpressionCache;
}

export interface RuleTrace {
  readonly index: number;
  readonly location?: SourceLocation;
  readonly if?: {
    readonly expression: string;
    readonly result: boolean;
    readonly variables: Readonly<Record<string, string | null>>;
  };
  readonly changes?: {
    readonly result: boolean;
    readonly paths: readonly string[];
    readonly matched: readonly string[] | 'all';
  };
  readonly exists?: {
    readonly result: boolean;
    readonly paths: readonly string[];
    readonly matched: readonly string[];
  };
  readonly matched: boolean;
}

export interface RulesOutcome {
  /** The first rule whose clauses all hold, or undefined when none does. */
  readonly matched?: { readonly rule: RuleDefinition; readonly index: number };
  readonly trace: readonly RuleTrace[];
}

/**
 * GitLab's rules: the first rule whose `if`, `changes` and `exists` all hold matches (a rule with
 * none of them always matches); later rules are not evaluated. Paths in `changes`/`exists` may use
 * variables. The trace records every evaluated clause and the variables an `if` read.
 */
export async function evaluateRules(
  rules: readonly RuleDefinition[],
  lookup: (name: string) => string | undefined,
  environment: RuleEnvironment,
): Promise<RulesOutcome> {
  const trace: RuleTrace[] = [];
  for (const [index, rule] of rules.entries()) {
    const entry: { -readonly [K in keyof RuleTrace]: RuleTrace[K] } = {
      index,
      matched: false,
      ...(rule.location ? { location: rule.location } : {}),
    };
    let holds = true;
    if (rule.if !== undefined) {
      const result = evaluateExpression(rule.if, lookup, environment.expressions);
      entry.if = { expression: rule.if, result: result.value, variables: result.variables };
      holds = result.value;
    }
    if (holds && rule.changes) {
      const paths = rule.changes.paths.map((path) => expandText(path, lookup));
      const compareTo =
        rule.changes.compareTo === undefined ? undefined : expandText(rule.changes.compareTo, lookup);
      const changed = await environment.changedFiles(compareTo);
      const matched = changed === 'all' ? 'all' : matchFiles(paths, changed);
      entry.changes = { result: matched === 'all' || matched.length > 0, paths, matched };
      holds = entry.changes.result;
    }
    if (holds && rule.exists) {
      const paths = rule.exists.paths.map((path) => expandText(path, lookup));
      const matched = existing(paths, await environment.files());
      entry.exists = { result: matched.length > 0, paths, matched };
      holds = entry.exists.result;
    }
    entry.matched = holds;
    trace.push(entry);
    if (holds) return { matched: { rule, index }, trace };
  }
  return { trace };
}

function matchFiles(patterns: readonly string[], files: readonly string[]): string[] {
  const globs = new GlobSet(patterns);
  return files.filter((file) => globs.matches(file));
}

/** `exists:` matches files; a pattern ending in `/` asks whether that directory has any file. */
function existing(patterns: readonly string[], files: readonly string[]): string[] {
  const directories = patterns
    .filter((pattern) => pattern.endsWith('/'))
    .map((pattern) => normalizePath(pattern));
  const matched = matchFiles(
    patterns.filter((pattern) => !pattern.endsWith('/')),
    files,
  );
  for (const directory of directories) {
    const globs = new GlobSet([`${directory}**/*`]);
    const inside = files.find((file) => globs.matches(file));
    if (inside) matched.push(directory);
  }
  return matched;
}

export interface OnlyExceptOutcome {
  readonly included: boolean;
  readonly reason: string;
}

const SOURCE_KEYWORDS: Readonly<Record<string, string>> = {
  api: 'api',
  chat: 'chat',
  external: 'external',
  external_pull_requests: 'external_pull_request_event',
  merge_requests: 'merge_request_event',
  pipelines: 'pipeline',
  pushes: 'push',
  schedules: 'schedule',
  triggers: 'trigger',
  web: 'web',
};

/**
 * `only:`/`except:`. A job with neither (and no rules) behaves as `only: [branches, tags]`, so it is
 * not part of a merge request pipeline, as in GitLab.
 */
export async function evaluateOnlyExcept(
  only: OnlyExceptDefinition | undefined,
  except: OnlyExceptDefinition | undefined,
  context: PipelineContext,
  lookup: (name: string) => string | undefined,
  environment: RuleEnvironment,
): Promise<OnlyExceptOutcome> {
  const effectiveOnly = only ?? { refs: ['branches', 'tags'] };
  const onlyResult = await satisfies(effectiveOnly, context, lookup, environment, 'only');
  if (!onlyResult.all)
    return {
      included: false,
      reason: only
        ? `only: ${onlyResult.failed} does not match`
        : `no rules: GitLab's default only: [branches, tags] does not match a ${context.mergeRequest ? 'merge request' : context.source} pipeline`,
    };
  if (except) {
    const exceptResult = await satisfies(except, context, lookup, environment, 'except');
    if (exceptResult.any) return { included: false, reason: `except: ${exceptResult.matchedWhat} matches` };
  }
  return {
    included: true,
    reason: only ? 'only: matches' : 'no rules: default only: [branches, tags] matches',
  };
}

async function satisfies(
  policy: OnlyExceptDefinition,
  context: PipelineContext,
  lookup: (name: string) => string | undefined,
  environment: RuleEnvironment,
  kind: 'only' | 'except',
): Promise<{ all: boolean; any: boolean; failed: string; matchedWhat: string }> {
  const results: { what: string; ok: boolean }[] = [];
  if (policy.refs)
    results.push({
      what: `refs [${policy.refs.join(', ')}]`,
      ok: policy.refs.some((ref) => refMatches(ref, context)),
    });
  if (policy.variables)
    results.push({
      what: `variables [${policy.variables.join(', ')}]`,
      ok: policy.variables.some(
        (expression) => evaluateExpression(expression, lookup, environment.expressions).value,
      ),
    });
  if (policy.changes) {
    const changed = await environment.changedFiles(undefined);
    results.push({
      what: `changes [${policy.changes.join(', ')}]`,
      ok:
        changed === 'all' ||
        matchFiles(
          policy.changes.map((path) => expandText(path, lookup)),
          changed,
        ).length > 0,
    });
  }
  // No Kubernetes integration locally: `kubernetes: active` never holds.
  if (policy.kubernetes) results.push({ what: 'kubernetes: active', ok: false });
  void kind;
  return {
    all: results.every((result) => result.ok),
    any: results.some((result) => result.ok),
    failed: results.find((result) => !result.ok)?.what ?? '',
    matchedWhat: results.find((result) => result.ok)?.what ?? '',
  };
}

function refMatches(pattern: string, context: PipelineContext): boolean {
  const [refPattern, projectPath] = pattern.split('@') as [string, string | undefined];
  if (projectPath !== undefined && projectPath !== context.project.path) return false;
  if (refPattern === 'branches') return context.refType === 'branch' && !context.mergeRequest;
  if (refPattern === 'tags') return context.refType === 'tag';
  const source = SOURCE_KEYWORDS[refPattern];
  if (source) return context.source === source;
  const regexp = /^\/(.+)\/([a-z]*)$/s.exec(refPattern);
  if (regexp) {
    try {
      return new RegExp(regexp[1]!, regexp[2]!.replace(/[^ims]/g, '')).test(context.ref);
    } catch {
      return false;
    }
  }
  return refPattern === context.ref;
}
