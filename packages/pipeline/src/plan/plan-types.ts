import type { IncludeEntry } from '../config/include-entries.js';
import type { LoadedFile } from '../config/load-config.js';
import type { PipelineSource } from '../context/pipeline-context.js';
import type {
  AllowFailure,
  ForwardDefinition,
  ImageDefinition,
  JobDefinition,
  ServiceDefinition,
} from '../definition/types.js';
import type { RuleTrace } from '../rules/evaluate-rules.js';
import type { VariableEntry, VariableLayer } from '../variables/layers.js';
import type { SourceLocation } from '../yaml/source-map.js';

/**
 * The pipeline GitLab would create for one context: what `glci show` prints and what the daemon
 * schedules. Plain data (JSON-serializable), documented field by field in the README.
 */
export interface PipelinePlan {
  /** False when `workflow:rules` (or having no job) stops GitLab from creating the pipeline. */
  readonly created: boolean;
  /** Why no pipeline is created, in GitLab's words. */
  readonly notCreatedReason?: string;
  readonly context: PlanContextSummary;
  /** `workflow:name`, expanded. */
  readonly name?: string;
  /** Stages that have at least one job, in order. */
  readonly stages: readonly string[];
  /** Jobs in stage order, then file order; `parallel` expanded. */
  readonly jobs: readonly PlannedJob[];
  /** Jobs GitLab would not create (rules, only/except) or that the local config skips. */
  readonly excluded: readonly ExcludedJob[];
  readonly workflow: {
    /** Index of the workflow rule that matched (undefined: no workflow rules). */
    readonly ruleIndex?: number;
    readonly trace: readonly RuleTrace[];
    readonly variables: readonly VariableEntry[];
  };
  /** Pipeline-level variable layers (predefined, global YAML, workflow, --env, …). */
  readonly variables: readonly VariableLayer[];
  readonly warnings: readonly string[];
  /** Every CI file that was read, root first (with where and when a file from GitLab was fetched). */
  readonly files: readonly LoadedFile[];
}

export interface PlanContextSummary {
  readonly source: PipelineSource;
  readonly refType: 'branch' | 'tag';
  readonly ref: string;
  readonly sha: string;
  readonly beforeSha: string;
  readonly defaultBranch: string;
  readonly projectPath: string;
  readonly projectDir: string;
  readonly mergeRequest?: {
    readonly iid: number;
    readonly sourceBranch: string;
    readonly targetBranch: string;
  };
  readonly environmentName?: string;
  /**
   * Whether the GitLab instance protects this ref (its protected branches and tags); known only
   * when glci read them with the CI/CD variables. `CI_COMMIT_REF_PROTECTED` and protected variables
   * follow it.
   */
  readonly protectedRef?: boolean;
  readonly commit: {
    readonly message: string;
    readonly authorName: string;
    readonly authorEmail: string;
    readonly timestamp: string;
  };
  readonly dirty: boolean;
}

export type PlannedWhen = 'on_success' | 'on_failure' | 'always' | 'manual' | 'delayed';

export interface PlannedNeed {
  /** The needed job's name in this plan (a parallel instance's full name). */
  readonly job: string;
  readonly artifacts: boolean;
  readonly optional: boolean;
}

/**
 * A need of another pipeline's job: `needs:pipeline` (a job of the parent pipeline, by
 * `$PARENT_PIPELINE_ID`) or `needs:project` (the latest successful pipeline of a ref of another
 * project on the GitLab instance, whose artifacts `glci run` downloads through the API).
 */
export interface PlannedCrossNeed {
  readonly job: string;
  readonly artifacts: boolean;
  /** `needs:pipeline` (e.g. `$PARENT_PIPELINE_ID`), as written. */
  readonly pipeline?: string;
  /** `needs:project` and its `ref`, as written. */
  readonly project?: string;
  readonly ref?: string;
}

export interface PlannedCache {
  /** Fully resolved: variables expanded, `key:files` hashed, `prefix` applied; `default` when empty. */
  readonly key: string;
  /** The key as written, for re-resolving with runtime variables (`undefined` for `key:files`). */
  readonly keyTemplate?: string;
  readonly fallbackKeys: readonly string[];
  readonly paths: readonly string[];
  readonly untracked: boolean;
  readonly unprotect: boolean;
  readonly policy: 'pull-push' | 'pull' | 'push';
  readonly when: 'on_success' | 'on_failure' | 'always';
}

export interface PlannedArtifacts {
  readonly name?: string;
  readonly paths: readonly string[];
  readonly exclude: readonly string[];
  readonly untracked: boolean;
  readonly when: 'on_success' | 'on_failure' | 'always';
  readonly expireIn?: string;
  readonly reports: Readonly<Record<string, readonly string[]>>;
}

export interface PlannedEnvironment {
  readonly name: string;
  readonly url?: string;
  readonly action: 'start' | 'prepare' | 'stop' | 'verify' | 'access';
  readonly deploymentTier?: string;
  readonly onStop?: string;
  readonly autoStopIn?: string;
}

export type PlannedTrigger =
  | {
      readonly kind: 'child';
      readonly strategy?: 'depend';
      readonly forward: ForwardDefinition;
      /** The child pipeline's own plan, or undefined when its config is a job's artifact. */
      readonly pipeline?: PipelinePlan;
      /** `include: artifact:` — the daemon plans it with `planDynamicChild` once the job ran. */
      readonly dynamic?: DynamicChild;
    }
  | {
      readonly kind: 'project';
      readonly project: string;
      readonly branch?: string;
      readonly strategy?: 'depend';
      readonly forward: ForwardDefinition;
      readonly pipeline?: PipelinePlan;
    };

/** A child pipeline whose configuration an earlier job generates: planned once that job has run. */
export interface DynamicChild {
  /** The (first) job and artifact path, for display. */
  readonly job: string;
  readonly artifact: string;
  /** Every `trigger: include:` entry (artifacts and any others). */
  readonly includes: readonly IncludeEntry[];
  /** The variables forwarded to the child (`forward:`), as planned with the parent. */
  readonly layers: readonly VariableLayer[];
  /** How deep the child pipeline is (1 for a child of the root pipeline). */
  readonly depth: number;
}

/** How a job came to be in the pipeline: the rule that matched, or only/except. */
export type InclusionReason =
  | { readonly kind: 'rules'; readonly ruleIndex: number; readonly location?: SourceLocation }
  | { readonly kind: 'only-except'; readonly detail: string };

export interface PlannedJob {
  readonly name: string;
  /** The job's name in the YAML (differs from `name` for parallel instances). */
  readonly definitionName: string;
  readonly stage: string;
  readonly stageIndex: number;
  readonly when: PlannedWhen;
  readonly startIn?: string;
  readonly startInSeconds?: number;
  readonly allowFailure: AllowFailure;
  /** undefined: no `needs` key (the job waits for earlier stages); []: `needs: []`. */
  readonly needs?: readonly PlannedNeed[];
  /** `needs:pipeline:job` and `needs:project`: jobs of other pipelines. */
  readonly crossNeeds?: readonly PlannedCrossNeed[];
  /** `id_tokens`: each token's audiences; `glci run`'s mock signs the tokens (glci, not GitLab). */
  readonly idTokens?: Readonly<Record<string, readonly string[]>>;
  /** `secrets:` variable names: planned and shown; `glci run` refuses to run the pipeline. */
  readonly secrets?: readonly string[];
  /** Names whose artifacts the job downloads; undefined: every job of earlier stages. */
  readonly dependencies?: readonly string[];
  readonly retry: {
    readonly max: number;
    readonly when: readonly string[];
    readonly exitCodes: readonly number[];
  };
  readonly timeoutSeconds: number;
  readonly resourceGroup?: string;
  readonly interruptible: boolean;
  readonly environment?: PlannedEnvironment;
  readonly coverage?: string;
  readonly tags: readonly string[];
  readonly image?: ImageDefinition;
  readonly services: readonly ServiceDefinition[];
  readonly beforeScript: readonly string[];
  readonly script: readonly string[];
  readonly afterScript: readonly string[];
  readonly hooks?: Readonly<Record<string, readonly string[]>>;
  readonly artifacts?: PlannedArtifacts;
  readonly caches: readonly PlannedCache[];
  readonly trigger?: PlannedTrigger;
  readonly parallel?: {
    readonly index: number;
    readonly total: number;
    readonly matrix?: Readonly<Record<string, string>>;
  };
  readonly location?: SourceLocation;
  readonly inclusion: InclusionReason;
  readonly ruleTrace: readonly RuleTrace[];
  /** Every variable layer of this job, in precedence order; see `resolveJobVariables`. */
  readonly variables: readonly VariableLayer[];
  /** Set by the local config: `[manual]` holds it, or `no_manual`/`manual_all` changed it. */
  readonly localNote?: string;
}

export interface ExcludedJob {
  readonly name: string;
  readonly definitionName: string;
  readonly stage: string;
  readonly location?: SourceLocation;
  /** `rules` (a rule with when: never, or no rule matched), `only-except`, or `local` ([skip], a preset). */
  readonly by: 'rules' | 'only-except' | 'local';
  readonly reason: string;
  readonly ruleIndex?: number;
  readonly ruleLocation?: SourceLocation;
  readonly ruleTrace: readonly RuleTrace[];
  readonly variables: readonly VariableLayer[];
}

/** A job before its trigger is planned: what `PlanPipelineOptions.planTrigger` receives. */
export type PlannedJobDraft = PlannedJob & { readonly definition: JobDefinition };
