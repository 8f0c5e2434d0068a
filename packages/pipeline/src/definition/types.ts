import type { IncludeEntry } from '../config/include-entries.js';
import type { SourceLocation } from '../yaml/source-map.js';

/**
 * The configuration after includes, `extends` and `!reference`, validated and normalized, but not
 * yet evaluated for a context: rules, `only`/`except` and variables are still as written.
 */
export type When = 'on_success' | 'on_failure' | 'always' | 'manual' | 'delayed' | 'never';

export interface VariableDefinition {
  readonly name: string;
  readonly value: string;
  /** `expand: false`: used exactly as written, `$` included. */
  readonly expand: boolean;
  readonly description?: string;
  readonly options?: readonly string[];
}

export interface ImageDefinition {
  readonly name: string;
  readonly entrypoint?: readonly string[];
  readonly pull_policy?: readonly ('always' | 'if-not-present' | 'never')[];
  readonly docker?: { readonly platform?: string; readonly user?: string };
}

export interface ServiceDefinition extends ImageDefinition {
  readonly alias?: string;
  readonly command?: readonly string[];
  readonly variables?: Readonly<Record<string, string>>;
}

export interface RuleDefinition {
  readonly if?: string;
  readonly changes?: { readonly paths: readonly string[]; readonly compareTo?: string };
  readonly exists?: { readonly paths: readonly string[] };
  readonly when?: When;
  readonly startIn?: string;
  readonly allowFailure?: AllowFailure;
  readonly variables?: readonly VariableDefinition[];
  readonly needs?: readonly NeedDefinition[];
  readonly interruptible?: boolean;
  readonly location?: SourceLocation;
}

export type AllowFailure = boolean | { readonly exitCodes: readonly number[] };

export interface OnlyExceptDefinition {
  readonly refs?: readonly string[];
  readonly variables?: readonly string[];
  readonly changes?: readonly string[];
  readonly kubernetes?: string;
}

export interface NeedDefinition {
  readonly job: string;
  readonly artifacts: boolean;
  readonly optional: boolean;
  /** `parallel: matrix:` of the needed job: which of its instances. */
  readonly matrix?: readonly Readonly<Record<string, readonly string[]>>[];
  /** `needs:pipeline`: a job of another pipeline (a parent's, `$PARENT_PIPELINE_ID`). */
  readonly pipeline?: string;
  /** `needs:project` (with `ref`): a job of another project's latest pipeline for the ref. */
  readonly project?: string;
  readonly ref?: string;
}

/** Whether a need names a job of another pipeline (`needs:pipeline` or `needs:project`). */
export function isCrossPipelineNeed(need: NeedDefinition): boolean {
  return need.pipeline !== undefined || need.project !== undefined;
}

/** `id_tokens:` — each token's audience (one or several). */
export type IdTokensDefinition = Readonly<Record<string, { readonly aud: string | readonly string[] }>>;

export type ParallelDefinition =
  | { readonly kind: 'count'; readonly total: number }
  | { readonly kind: 'matrix'; readonly matrix: readonly Readonly<Record<string, readonly string[]>>[] };

export interface ArtifactsDefinition {
  readonly name?: string;
  readonly paths?: readonly string[];
  readonly exclude?: readonly string[];
  readonly untracked?: boolean;
  readonly when?: 'on_success' | 'on_failure' | 'always';
  readonly expireIn?: string;
  readonly exposeAs?: string;
  readonly public?: boolean;
  readonly reports?: Readonly<Record<string, readonly string[]>>;
}

export interface CacheDefinition {
  readonly key?:
    | string
    | {
        readonly files?: readonly string[];
        readonly filesCommits?: readonly string[];
        readonly prefix?: string;
      };
  readonly paths?: readonly string[];
  readonly untracked?: boolean;
  readonly unprotect?: boolean;
  readonly policy?: string;
  readonly when?: 'on_success' | 'on_failure' | 'always';
  readonly fallbackKeys?: readonly string[];
}

export interface RetryDefinition {
  readonly max: number;
  readonly when?: readonly string[];
  readonly exitCodes?: readonly number[];
}

export interface EnvironmentDefinition {
  readonly name: string;
  readonly url?: string;
  readonly action?: 'start' | 'prepare' | 'stop' | 'verify' | 'access';
  readonly deploymentTier?: string;
  readonly onStop?: string;
  readonly autoStopIn?: string;
}

export type TriggerDefinition =
  | {
      readonly kind: 'child';
      readonly include: readonly ChildInclude[];
      readonly strategy?: 'depend';
      readonly forward: ForwardDefinition;
    }
  | {
      readonly kind: 'project';
      readonly project: string;
      readonly branch?: string;
      readonly strategy?: 'depend';
      readonly forward: ForwardDefinition;
    };

/**
 * One `trigger: include:` entry: the same kinds as a file's `include:` (local, project, component,
 * template, remote) plus `artifact` with `job`, a file an earlier job generated (a dynamic child).
 */
export type ChildInclude = IncludeEntry;

export interface ForwardDefinition {
  readonly yamlVariables: boolean;
  readonly pipelineVariables: boolean;
}

export interface InheritDefinition {
  /** true: every default; false: none; a list: only those keywords. */
  readonly default: boolean | readonly string[];
  readonly variables: boolean | readonly string[];
}

/** `default:` and the deprecated top-level globals. */
export interface DefaultsDefinition {
  readonly image?: ImageDefinition;
  readonly services?: readonly ServiceDefinition[];
  readonly beforeScript?: readonly string[];
  readonly afterScript?: readonly string[];
  readonly cache?: readonly CacheDefinition[];
  readonly artifacts?: ArtifactsDefinition;
  readonly retry?: RetryDefinition;
  readonly timeout?: string;
  readonly interruptible?: boolean;
  readonly tags?: readonly string[];
  readonly hooks?: Readonly<Record<string, readonly string[]>>;
  readonly idTokens?: IdTokensDefinition;
}

export interface JobDefinition {
  readonly name: string;
  readonly location: SourceLocation | undefined;
  readonly stage: string;
  readonly script?: readonly string[];
  readonly beforeScript?: readonly string[];
  readonly afterScript?: readonly string[];
  readonly image?: ImageDefinition;
  readonly services?: readonly ServiceDefinition[];
  readonly variables: readonly VariableDefinition[];
  readonly rules?: readonly RuleDefinition[];
  readonly only?: OnlyExceptDefinition;
  readonly except?: OnlyExceptDefinition;
  readonly when?: When;
  readonly startIn?: string;
  readonly allowFailure?: AllowFailure;
  /** undefined: no `needs` key (stage order); []: `needs: []` (starts at once). */
  readonly needs?: readonly NeedDefinition[];
  /** undefined: every job of earlier stages. */
  readonly dependencies?: readonly string[];
  readonly parallel?: ParallelDefinition;
  readonly artifacts?: ArtifactsDefinition;
  readonly cache?: readonly CacheDefinition[];
  readonly retry?: RetryDefinition;
  readonly timeout?: string;
  readonly tags?: readonly string[];
  readonly environment?: EnvironmentDefinition;
  readonly resourceGroup?: string;
  readonly interruptible?: boolean;
  readonly coverage?: string;
  readonly trigger?: TriggerDefinition;
  readonly inherit: InheritDefinition;
  readonly hooks?: Readonly<Record<string, readonly string[]>>;
  readonly manualConfirmation?: string;
  readonly idTokens?: IdTokensDefinition;
  /** `secrets:` by variable name, as written: planned and shown; `glci run` refuses the job. */
  readonly secrets?: Readonly<Record<string, unknown>>;
}

export interface WorkflowDefinition {
  readonly name?: string;
  readonly rules?: readonly RuleDefinition[];
  readonly autoCancel?: { readonly onNewCommit?: string; readonly onJobFailure?: string };
}

export interface PipelineDefinition {
  readonly stages: readonly string[];
  readonly variables: readonly VariableDefinition[];
  readonly defaults: DefaultsDefinition;
  readonly workflow?: WorkflowDefinition;
  /** Visible jobs, in file order (hidden `.jobs` are only templates). */
  readonly jobs: readonly JobDefinition[];
}
