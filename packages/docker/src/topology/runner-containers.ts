import { LABEL_RUNNER_NAME, LABEL_RUNNER_TIER } from '../labels.js';
import type { PullPolicy, StartedContainer } from '../orchestrator.js';
import type { RunnerNameParts } from '../runner-names.js';
import { RUNNER_CONFIG_DIR, type TopologyContext } from './context.js';

export interface RunnerSpec extends RunnerNameParts {
  /**
   * The pipeline whose network the runner joins. Without one the runner belongs to the daemon
   * (shared by every pipeline, on the default bridge) and reaches the mock through `extraHosts`.
   */
  readonly pipelineId?: string;
  readonly image: string;
  readonly cmd?: readonly string[];
  /** The `config.toml` content, rendered by the caller. */
  readonly configToml: string;
  readonly pullPolicy?: PullPolicy;
  /** `/etc/hosts` entries of the runner container (`name:ip` or `name:host-gateway`). */
  readonly extraHosts?: readonly string[];
}

const CONFIG_PATH = `${RUNNER_CONFIG_DIR}/config.toml`;

/**
 * Starts a runner container (on the pipeline network when the spec names one), or, when one of
 * that name runs already, applies a changed `config.toml` to it with SIGHUP instead of restarting
 * it; a runner stopped with the daemon and made from the same image is started again.
 */
export async function ensureRunnerContainer(
  ctx: TopologyContext,
  spec: RunnerSpec,
  privileged: boolean,
): Promise<StartedContainer> {
  const name = ctx.names.runner(spec);
  const existing = await ctx.orchestrator.getContainer(name);
  const state = await existing?.state();
  if (existing && state?.running) {
    await updateRunnerConfig(ctx, existing, spec.configToml);
    return existing;
  }
  if (existing && state?.status === 'exited' && (await sameImage(ctx, existing, spec.image))) {
    // Stopped with the daemon: the config is in its volume; write the current one, then start.
    await existing.copyFiles([{ path: CONFIG_PATH, content: spec.configToml, mode: 0o600 }]);
    await existing.start();
    ctx.logger.info('runner started again', { runner: name });
    return existing;
  }
  if (existing) await existing.stop({ timeoutMs: 0, remove: true });
  const configVolume = `${name}-config`;
  const runnerLabels = {
    ...(spec.pipelineId !== undefined ? { pipeline: spec.pipelineId } : {}),
    ...(spec.project !== undefined ? { project: spec.project } : {}),
  };
  await ctx.orchestrator.ensureVolume({
    name: configVolume,
    labels: ctx.labels('runner-config', runnerLabels),
  });
  await ctx.orchestrator.pull(spec.image, { policy: spec.pullPolicy ?? 'if-not-present' });
  const socket = ctx.network.docker.containerSocket;
  const container = await ctx.orchestrator.run({
    image: spec.image,
    name,
    labels: {
      ...ctx.labels('runner', runnerLabels),
      [LABEL_RUNNER_TIER]: spec.tier,
      ...(spec.name !== undefined ? { [LABEL_RUNNER_NAME]: spec.name } : {}),
    },
    ...(spec.cmd ? { cmd: spec.cmd } : {}),
    ...(spec.pipelineId !== undefined
      ? { networks: [{ name: ctx.names.pipelineNetwork(spec.pipelineId) }] }
      : {}),
    ...(spec.extraHosts?.length ? { extraHosts: spec.extraHosts } : {}),
    mounts: [
      { type: 'volume', source: configVolume, target: RUNNER_CONFIG_DIR },
      { type: 'bind', source: socket, target: '/var/run/docker.sock' },
    ],
    privileged,
    files: [{ path: CONFIG_PATH, content: spec.configToml, mode: 0o600 }],
  });
  ctx.logger.info('runner started', {
    runner: name,
    tier: spec.tier,
    pipeline: spec.pipelineId ?? 'shared',
  });
  return container;
}

/** Writes a new `config.toml` into the runner's config volume and sends SIGHUP if it changed. */
export async function updateRunnerConfig(
  ctx: TopologyContext,
  runner: StartedContainer,
  configToml: string,
): Promise<boolean> {
  const current = await runner.exec(['cat', CONFIG_PATH]);
  if (current.exitCode === 0 && current.stdout === configToml) {
    ctx.logger.debug('runner config unchanged', { runner: runner.name });
    return false;
  }
  await runner.copyFiles([{ path: CONFIG_PATH, content: configToml, mode: 0o600 }]);
  await runner.kill('SIGHUP');
  ctx.logger.info('runner config reloaded with SIGHUP', { runner: runner.name });
  return true;
}

/** Whether a container runs the image `image` names now (not an older build under the same tag). */
async function sameImage(ctx: TopologyContext, container: StartedContainer, image: string): Promise<boolean> {
  const docker = ctx.orchestrator.docker;
  try {
    const [info, wanted] = await Promise.all([
      docker.getContainer(container.id).inspect(),
      docker.getImage(image).inspect(),
    ]);
    return info.Image === wanted.Id;
  } catch {
    return false;
  }
}
