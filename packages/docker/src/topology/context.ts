import type { Logger, ResolvedNetwork } from '@glci/config';
import type { DockerOrchestrator } from '../docker-orchestrator.js';
import type { GlciRole } from '../labels.js';
import { type RunnerNameParts, runnerName } from '../runner-names.js';

/** The alias the mock has on every glci network; runners and DinD daemons reach it by this name. */
export const MOCK_ALIAS = 'glci-mock';
/** Where runner containers find their `config.toml`. */
export const RUNNER_CONFIG_DIR = '/etc/gitlab-runner';

/** The names of every object of one glci instance, all starting with its prefix (`glci`). */
export function topologyNames(prefix: string) {
  return {
    mock: `${prefix}-mock`,
    registryVolume: `${prefix}-registry`,
    registryCaVolume: `${prefix}-registry-ca`,
    cacheVolume: `${prefix}-cache`,
    mockDataVolume: `${prefix}-mock-data`,
    buildsVolume: `${prefix}-builds`,
    pipelineNetwork: (pipelineId: string) => `${prefix}-net-${pipelineId}`,
    jobNetwork: (pipelineId: string, jobId: string) => `${prefix}-net-${pipelineId}-job-${jobId}`,
    dindConfigVolume: (pipelineId: string, jobId?: string) =>
      jobId === undefined ? `${prefix}-dind-${pipelineId}` : `${prefix}-dind-${pipelineId}-job-${jobId}`,
    runner: (spec: RunnerNameParts) => runnerName(prefix, spec),
  };
}

export type TopologyNames = ReturnType<typeof topologyNames>;

export interface LabelExtras {
  readonly pipeline?: string;
  readonly project?: string;
  readonly job?: string;
  readonly persistent?: boolean;
}

/**
 * What the parts of `GlciTopology` share: one instance's engine, network settings, names and
 * labels. Each part (mock, runners, DinD jobs, pipelines) is a module of functions over it.
 */
export interface TopologyContext {
  readonly orchestrator: DockerOrchestrator;
  readonly network: ResolvedNetwork;
  readonly logger: Logger;
  readonly instance: string;
  readonly names: TopologyNames;
  labels(role: GlciRole, extra?: LabelExtras): Record<string, string>;
}

/** A pause between polls of the engine. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
