import {
  ConfigError,
  type ExternalRegistry,
  type GlciConfig,
  loadConfig,
  resolveExternalRegistry,
} from '@glci/config';
import { DaemonHttpError } from '@glci/daemon';
import { DockerSettingError, refuseDindWithoutPrivileged } from '@glci/docker';
import type { PipelinePlan } from '@glci/pipeline';
import { type ConfiguredRunner, configuredRunners } from '../runner-assignment.js';
import type { RunRequestBody } from './run-request.js';

/** What a pipeline runs with besides its plan: its runners and its registry. */
export interface RunSettings {
  readonly runners: readonly ConfiguredRunner[];
  readonly anyRunner: boolean;
  readonly externalRegistry?: ExternalRegistry;
}

/**
 * The runners and the registry of a pipeline, from the user's config, the project's file (read
 * from the project's directory, as `glci run` read it) and the request's flags; and the checks
 * that refuse it before anything starts (`[docker] privileged = false` with a DinD service).
 * Config mistakes are 400s naming the file, key or flag.
 */
export function resolveRunSettings(options: {
  readonly user: GlciConfig;
  readonly plan: PipelinePlan;
  readonly request: RunRequestBody;
  readonly env?: NodeJS.ProcessEnv;
}): RunSettings {
  const { user, plan, request } = options;
  try {
    const merged = loadConfig({ cwd: plan.context.projectDir, ...(options.env ? { env: options.env } : {}) });
    // A project file may turn privileged containers off for its jobs (never on).
    refuseDindWithoutPrivileged(
      plan.jobs.map((job) => ({ name: job.name, services: job.services.map((service) => service.name) })),
      {
        privileged: user.docker.privileged && merged.config.docker.privileged,
        source: user.docker.privileged ? merged.sources.project : merged.sources.global,
      },
    );
    const externalRegistry = resolveExternalRegistry(
      user,
      request.externalRegistry ?? {},
      merged.sources.global,
    );
    return {
      runners: configuredRunners(user, merged.config, plan.context.projectPath),
      anyRunner: request.anyRunner,
      ...(externalRegistry ? { externalRegistry } : {}),
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new DaemonHttpError(400, 'config', error.message);
    if (error instanceof DockerSettingError) throw new DaemonHttpError(422, 'docker-setting', error.message);
    throw error;
  }
}
