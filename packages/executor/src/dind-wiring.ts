import type { Logger } from '@glci/config';
import { dindClientEnv, type GlciTopology } from '@glci/docker';
import type { JobSpecInput } from '@glci/runner-api';
import type { RunnerFleet } from './runner-fleet.js';

/** A service that runs a Docker daemon: `docker:dind`, `docker:27-dind`, `docker:dind-rootless`, … */
export function isDindService(service: NonNullable<JobSpecInput['services']>[number]): boolean {
  const name = typeof service === 'string' ? service : service.name;
  const repository = name.split('@')[0]!.replace(/^[^/]+\.[^/]+\//, '');
  return /dind/.test(repository);
}

export function usesDockerInDocker(spec: JobSpecInput): boolean {
  return (spec.services ?? []).some(isDindService);
}

export interface PreparedDindJob {
  /** The job spec to queue: its own runner entry's tag, the DinD client variables. */
  readonly spec: JobSpecInput;
  /** Removes the runner entry and the job's network once the job is over. */
  release(): Promise<void>;
}

/**
 * Runs a Docker-in-Docker job the way glci does: on a network of its own
 * (`glci-net-<pipeline>-job-<job>`) with the mock attached as `glci-mock`, through a runner entry
 * of its own that puts the job, its services and its helpers on that network (`network_mode`),
 * with a generated `daemon.json` at `/etc/docker` of every container of the job, so
 * the `docker:dind` service trusts the mock's plain-HTTP registry and uses it as its Docker Hub
 * mirror (pulls inside DinD go through glci's pull-through cache). The job's `docker` alias is
 * on no other job's network, so concurrent DinD jobs never reach each other's daemon.
 */
export class DindWiring {
  readonly #topology: GlciTopology;
  readonly #fleet: RunnerFleet;
  readonly #logger: Logger;
  /** An image to create (never start) the container that fills the config volume. */
  readonly #fillImage: string;
  /** `host.docker.internal:host-gateway` etc.: the job still reaches `CI_SERVER_URL`. */
  readonly #extraHosts: readonly string[];

  constructor(options: {
    topology: GlciTopology;
    fleet: RunnerFleet;
    logger: Logger;
    fillImage: string;
    extraHosts: readonly string[];
  }) {
    this.#topology = options.topology;
    this.#fleet = options.fleet;
    this.#logger = options.logger.child({ module: 'dind' });
    this.#fillImage = options.fillImage;
    this.#extraHosts = options.extraHosts;
  }

  async prepare(
    pipelineId: string,
    jobKey: string,
    spec: JobSpecInput,
    /** Plain-HTTP registries besides the mock the job pushes to (an external `[registry] url` on http://). */
    plainHttpRegistries: readonly string[] = [],
  ): Promise<PreparedDindJob> {
    const { volume } = await this.#topology.writeDindConfig(pipelineId, this.#fillImage, jobKey, {
      registry: spec.registry ?? true,
      plainHttpRegistries,
    });
    const network = await this.#topology.startDindJob(pipelineId, jobKey);
    const entryKey = `dind-${pipelineId}-${jobKey}`;
    const tag = `glci-${entryKey}`;
    await this.#fleet.add(entryKey, {
      tags: [tag],
      networkMode: network.name,
      volumes: [`${volume}:/etc/docker`],
      extraHosts: this.#extraHosts,
    });
    this.#logger.info('Docker-in-Docker job wired', {
      pipeline: pipelineId,
      job: jobKey,
      network: network.name,
    });
    return {
      spec: { ...spec, tags: [tag], variables: withDindClientVariables(spec) },
      release: () => this.release(pipelineId, jobKey),
    };
  }

  /** Removes a DinD job's runner entry, network and config volume (also one a previous daemon made). */
  async release(pipelineId: string, jobKey: string): Promise<void> {
    await this.#fleet.remove(`dind-${pipelineId}-${jobKey}`);
    await this.#topology.stopDindJob(pipelineId, jobKey);
  }
}

/**
 * The job's variables with the DinD client settings GitLab's docs have users write (`DOCKER_HOST`,
 * TLS on 2376 with the certificates the service shares in `/certs/client`, or plain 2375 when the
 * job turns TLS off with an empty `DOCKER_TLS_CERTDIR`); a value the job sets itself wins.
 */
function withDindClientVariables(spec: JobSpecInput): NonNullable<JobSpecInput['variables']> {
  const own = { ...(spec.variables ?? {}) };
  const given = (name: string) => name in own || name in (spec.pipeline_variables ?? {});
  const certDir = variableValue(own.DOCKER_TLS_CERTDIR ?? spec.pipeline_variables?.DOCKER_TLS_CERTDIR);
  const tls = certDir !== '';
  const defaults = dindClientEnv({ tls });
  for (const [name, value] of Object.entries(defaults)) if (!given(name)) own[name] = value;
  return own;
}

function variableValue(variable: unknown): string | undefined {
  if (variable === undefined) return undefined;
  if (typeof variable === 'object' && variable !== null && 'value' in variable) return String(variable.value);
  return String(variable);
}
