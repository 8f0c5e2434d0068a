import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  formatPipelineIssue,
  formatPlanDot,
  formatPlanMermaid,
  formatPlanText,
  formatRuleTrace,
  formatVariablesText,
  lintProject,
  PipelineConfigError,
  type PipelinePlan,
  PipelineUsageError,
  type PlanProjectOptions,
  parseContextSpec,
  planProject,
  planToJson,
  resolveJobVariables,
  type VariableLayer,
} from '@glci/pipeline';
import { type GitFacts, openGitRepository } from '@glci/pipeline/request';
import type { CliContext } from '../../cli-context.js';
import {
  type GitlabCliOptions,
  gitlabPlanning,
  type KnownOrigin,
  ORIGIN_URL_QUESTION,
} from './gitlab-planning.js';
import { type PlanCliOptions, planRequest, readInputs } from './plan-request.js';

export { type PlanCliOptions, planRequest };

/**
 * The plan `glci run` would run: the context asked for, or, when none was (the default is a merge
 * request) and the configuration creates no merge request pipeline, the branch pipeline GitLab
 * runs for a push instead.
 */
export async function planForRun(ctx: CliContext, options: PlanCliOptions): Promise<PipelinePlan> {
  let repository: OpenRepository | undefined;
  const planned = await planRequest(ctx, options, async (cwd) => {
    repository = await openRepository(cwd, { upstream: true });
    return repository.root;
  });
  if (!repository) throw new Error('the repository was not opened');
  const gitlab = await gitlabPlanning(ctx, planned.dir, options, repository.known);
  // Both plans below (a merge request's, then maybe a branch's) ask these git facts once.
  const request: PlanProjectOptions = { ...planned, git: repository.git, gitlab };
  const withNotes = (plan: PipelinePlan): PipelinePlan => ({
    ...plan,
    warnings: [...plan.warnings, ...gitlab.notes()],
  });
  const plan = await planProject(request);
  if (plan.created || options.context !== undefined || options.preset !== undefined) return withNotes(plan);
  if (plan.context.source !== 'merge_request_event') return withNotes(plan);
  const branch = await planProject({ ...request, context: { kind: 'branch' } });
  return withNotes(branch.created ? branch : plan);
}

export async function showCommand(
  ctx: CliContext,
  options: PlanCliOptions & { json?: boolean; format: 'text' | 'mermaid' | 'dot' },
): Promise<void> {
  const plan = await planForRun(ctx, options);
  if (options.json) ctx.out.write(`${JSON.stringify(planToJson(plan), null, 2)}\n`);
  else if (options.format === 'mermaid') ctx.out.write(formatPlanMermaid(plan));
  else if (options.format === 'dot') ctx.out.write(formatPlanDot(plan));
  else ctx.out.write(formatPlanText(plan));
}

export async function variablesCommand(
  ctx: CliContext,
  name: string,
  options: PlanCliOptions & { json?: boolean; all?: boolean; showMasked?: boolean },
): Promise<void> {
  const plan = await planForRun(ctx, options);
  const reveal = options.showMasked ?? false;
  const found = findJob(plan, name);
  if (!found) {
    const names = [...plan.jobs, ...plan.excluded].map((job) => job.name);
    throw new PipelineUsageError(
      `no job "${name}" in this pipeline${names.length ? `; jobs: ${names.join(', ')}` : ''}`,
    );
  }
  const resolved = resolveJobVariables(found.job);
  if (options.json) {
    const variables = [...resolved.variables.values()]
      .filter(
        (variable) =>
          options.all || (variable.source !== 'predefined' && variable.source !== 'job-predefined'),
      )
      .map((variable) => {
        const hide = variable.entry.masked && !reveal;
        return {
          name: variable.name,
          value: hide ? '[MASKED]' : variable.value,
          written: hide ? '[MASKED]' : variable.entry.value,
          raw: variable.entry.raw ?? false,
          masked: variable.entry.masked ?? false,
          file: variable.entry.file ?? false,
          source: variable.source,
          label: variable.label,
          ...(variable.entry.ciCd ? { ciCd: variable.entry.ciCd } : {}),
          overridden: variable.overridden.map((earlier) =>
            hide ? { ...earlier, value: '[MASKED]' } : earlier,
          ),
        };
      });
    ctx.out.write(
      `${JSON.stringify({ job: found.job.name, included: found.included, ...(found.reason ? { reason: found.reason } : {}), variables, ruleTrace: found.job.ruleTrace }, null, 2)}\n`,
    );
    return;
  }
  const status = found.included ? 'included in the pipeline' : `excluded: ${found.reason}`;
  ctx.out.write(`${found.job.name} (stage ${found.job.stage}): ${status}\n\n`);
  ctx.out.write(formatVariablesText(resolved, { all: options.all ?? false, reveal }));
  const trace = formatRuleTrace(found.job.ruleTrace, reveal ? undefined : maskedNames(found.job.variables));
  if (trace) ctx.out.write(`\nrules:\n${trace}`);
}

export async function lintCommand(
  ctx: CliContext,
  file: string | undefined,
  options: GitlabCliOptions & {
    json?: boolean;
    input?: string[];
    projectDir?: string[];
    context?: string;
  },
): Promise<void> {
  const fromStdin = file === '-';
  const absolute = file && !fromStdin ? path.resolve(ctx.cwd, file) : undefined;
  const dir = absolute ? path.dirname(absolute) : ctx.cwd;
  const { root, git, known } = await openRepository(dir, { upstream: false });
  const relative = absolute ? path.relative(root, absolute) : '.gitlab-ci.yml';
  const projects: Record<string, { dir: string }> = {};
  for (const mapping of options.projectDir ?? []) {
    const match = /^([^=]+\/[^=]+)=(.+)$/.exec(mapping);
    if (match) projects[match[1]!] = { dir: path.resolve(ctx.cwd, match[2]!) };
  }
  const gitlab = await gitlabPlanning(ctx, root, options, known);
  try {
    const linted = await lintProject({
      dir: root,
      git,
      file: relative,
      ...(fromStdin ? { text: readFileSync(0, 'utf8') } : {}),
      inputs: await readInputs(ctx, undefined, options.input),
      projects,
      gitlab,
      ...(options.context ? { context: parseContextSpec(options.context) } : {}),
    });
    const result = { ...linted, warnings: [...linted.warnings, ...gitlab.notes()] };
    if (options.json) ctx.out.write(`${JSON.stringify({ valid: true, issues: [], ...result }, null, 2)}\n`);
    else
      ctx.out.write(
        `${relative}: valid (${result.jobs} job${result.jobs === 1 ? '' : 's'}, ${result.files.length} file${result.files.length === 1 ? '' : 's'})\n${result.warnings.map((warning) => `warning: ${warning}\n`).join('')}`,
      );
  } catch (error) {
    if (!(error instanceof PipelineConfigError)) throw error;
    if (options.json) {
      const issues = error.issues.map((issue) => ({
        file: issue.location?.file,
        line: issue.location?.line,
        column: issue.location?.column,
        keyPath: issue.keyPath,
        message: issue.message,
      }));
      ctx.out.write(`${JSON.stringify({ valid: false, issues }, null, 2)}\n`);
    } else {
      process.stderr.write(`${error.issues.map(formatPipelineIssue).join('\n')}\n`);
    }
    process.exitCode = 1;
    throw new LintFailed();
  }
}

interface OpenRepository {
  readonly root: string;
  readonly git: GitFacts;
  readonly known: KnownOrigin;
}

/**
 * The repository containing `cwd`, with what every plan asks git first (branch, default branch,
 * HEAD's commit, remotes and, for `upstream`, `@{upstream}`) and `origin`'s URL for the GitLab
 * instance answered by one child process, instead of one for the root, one for the origin and
 * more inside planning.
 */
async function openRepository(cwd: string, options: { upstream: boolean }): Promise<OpenRepository> {
  const opened = await openGitRepository(cwd, { upstream: options.upstream, also: [ORIGIN_URL_QUESTION] });
  const origin = opened.also[0];
  return {
    root: opened.root,
    git: opened.git,
    known: { originUrl: origin?.code === 0 ? origin.stdout.trim() || undefined : undefined },
  };
}

/** Lint found problems: already printed; `bin.ts` exits 1 without printing anything more. */
export class LintFailed extends Error {
  override readonly name = 'LintFailed';
  constructor() {
    super('the configuration is invalid');
  }
}

/** The masked variables of a job: their values stay hidden in a rule trace too. */
function maskedNames(layers: readonly VariableLayer[]): Set<string> {
  return new Set(
    layers.flatMap((layer) => layer.entries.filter((entry) => entry.masked).map((entry) => entry.name)),
  );
}

function findJob(plan: PipelinePlan, name: string) {
  const search = (
    current: PipelinePlan,
  ):
    | {
        job: PipelinePlan['jobs'][number] | PipelinePlan['excluded'][number];
        included: boolean;
        reason?: string;
      }
    | undefined => {
    const job = current.jobs.find((each) => each.name === name);
    if (job) return { job, included: true };
    const excluded = current.excluded.find((each) => each.name === name);
    if (excluded) return { job: excluded, included: false, reason: excluded.reason };
    for (const each of current.jobs) {
      const child = each.trigger?.pipeline ? search(each.trigger.pipeline) : undefined;
      if (child) return child;
    }
    return undefined;
  };
  return search(plan);
}
