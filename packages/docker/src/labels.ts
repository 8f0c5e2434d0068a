/**
 * The labels glci puts on every Docker object it creates. glci finds its objects by these labels,
 * never by name patterns alone, and never touches an object without `dev.glci.managed=true`.
 *
 *   dev.glci.managed   "true" on everything glci made
 *   dev.glci.instance  which glci installation made it ("default"; tests use their own)
 *   dev.glci.session   the orchestrating process that made it (a new one on every start)
 *   dev.glci.pipeline  pipeline ID (networks, runners, job objects)
 *   dev.glci.project   project slug (per-project and named runners)
 *   dev.glci.job       job ID (per-DinD-job networks and their containers)
 *   dev.glci.role      what the object is for: see `GlciRole`
 *   dev.glci.persistent "true" on the volumes a plain prune keeps (registry, registry CA, cache)
 */
export const LABEL_MANAGED = 'dev.glci.managed';
export const LABEL_INSTANCE = 'dev.glci.instance';
export const LABEL_SESSION = 'dev.glci.session';
export const LABEL_PIPELINE = 'dev.glci.pipeline';
export const LABEL_PROJECT = 'dev.glci.project';
export const LABEL_JOB = 'dev.glci.job';
export const LABEL_ROLE = 'dev.glci.role';
export const LABEL_PERSISTENT = 'dev.glci.persistent';
/** The runner tier (`shared`, `project`, `named`) and name on runner containers. */
export const LABEL_RUNNER_TIER = 'dev.glci.runner-tier';
export const LABEL_RUNNER_NAME = 'dev.glci.runner-name';

export const DEFAULT_INSTANCE = 'default';

export type GlciRole =
  | 'mock'
  | 'runner'
  | 'runner-config'
  | 'job'
  | 'service'
  | 'dind'
  | 'pipeline-network'
  | 'job-network'
  | 'registry'
  | 'registry-ca'
  | 'cache'
  | 'mock-data'
  | 'builds'
  | 'dind-config'
  | 'helper';

export interface GlciLabelValues {
  readonly instance: string;
  readonly session: string;
  readonly role: GlciRole;
  readonly pipeline?: string;
  readonly project?: string;
  readonly job?: string;
  readonly persistent?: boolean;
}

/** The full label set for a new object. */
export function glciLabels(values: GlciLabelValues): Record<string, string> {
  return {
    [LABEL_MANAGED]: 'true',
    [LABEL_INSTANCE]: values.instance,
    [LABEL_SESSION]: values.session,
    [LABEL_ROLE]: values.role,
    ...(values.pipeline !== undefined ? { [LABEL_PIPELINE]: values.pipeline } : {}),
    ...(values.project !== undefined ? { [LABEL_PROJECT]: values.project } : {}),
    ...(values.job !== undefined ? { [LABEL_JOB]: values.job } : {}),
    ...(values.persistent ? { [LABEL_PERSISTENT]: 'true' } : {}),
  };
}

/** Which glci objects a query selects. Unset fields select everything. */
export interface GlciFilter {
  readonly instance?: string;
  readonly session?: string;
  readonly pipeline?: string;
  readonly project?: string;
  readonly job?: string;
  readonly role?: GlciRole;
}

/** The label map of a filter, always including `dev.glci.managed=true`. */
export function filterLabels(filter: GlciFilter = {}): Record<string, string> {
  const labels: Record<string, string> = { [LABEL_MANAGED]: 'true' };
  if (filter.instance !== undefined) labels[LABEL_INSTANCE] = filter.instance;
  if (filter.session !== undefined) labels[LABEL_SESSION] = filter.session;
  if (filter.pipeline !== undefined) labels[LABEL_PIPELINE] = filter.pipeline;
  if (filter.project !== undefined) labels[LABEL_PROJECT] = filter.project;
  if (filter.job !== undefined) labels[LABEL_JOB] = filter.job;
  if (filter.role !== undefined) labels[LABEL_ROLE] = filter.role;
  return labels;
}

/** Docker's `filters` parameter (`{"label": ["k=v", ...]}`) for a label map. */
export function labelFilters(labels: Readonly<Record<string, string>>): { label: string[] } {
  return { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
}

/** Whether an object's labels carry every label in `wanted` (and so glci's managed label). */
export function matchesLabels(
  labels: Readonly<Record<string, string>> | null | undefined,
  wanted: Readonly<Record<string, string>>,
): boolean {
  if (!labels || labels[LABEL_MANAGED] !== 'true') return false;
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}
