import type { Logger } from '@glci/config';
import type Docker from 'dockerode';
import { dockerCall } from './docker-call.js';
import { isNotFound } from './errors.js';
import { LABEL_MANAGED } from './labels.js';
import type { StartedNetwork } from './orchestrator.js';

/** A glci network (per pipeline or per DinD job) on the daemon. */
export class DockerStartedNetwork implements StartedNetwork {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly #docker: Docker;
  readonly #network: Docker.Network;
  readonly #logger: Logger;

  constructor(
    docker: Docker,
    info: { id: string; name: string; labels: Record<string, string> },
    logger: Logger,
  ) {
    this.id = info.id;
    this.name = info.name;
    this.labels = info.labels;
    this.#docker = docker;
    this.#network = docker.getNetwork(info.id);
    this.#logger = logger.child({ network: info.name });
  }

  async connect(container: string, options: { aliases?: readonly string[] } = {}): Promise<void> {
    const attached = await this.containers();
    if (attached.includes(container)) {
      this.#logger.debug('container already attached', { container });
      return;
    }
    try {
      await dockerCall(
        this.#logger,
        `attaching container ${container} to network ${this.name}`,
        { container },
        () =>
          this.#network.connect({
            Container: container,
            ...(options.aliases?.length ? { EndpointConfig: { Aliases: [...options.aliases] } } : {}),
          }),
      );
    } catch (error) {
      // Someone attached it between our look and our call.
      if (!/already exists in network/i.test(String(error))) throw error;
    }
  }

  async disconnect(container: string): Promise<void> {
    try {
      await dockerCall(
        this.#logger,
        `detaching container ${container} from network ${this.name}`,
        { container },
        () => this.#network.disconnect({ Container: container, Force: true }),
      );
    } catch (error) {
      // Gone, or not attached (the daemon answers 404 or 500 "is not connected").
      if (!isNotFound(error) && !/not connected/i.test(String(error))) throw error;
    }
  }

  async containers(): Promise<string[]> {
    try {
      const info = await dockerCall(this.#logger, `inspecting network ${this.name}`, {}, () =>
        this.#network.inspect(),
      );
      return Object.entries((info.Containers ?? {}) as Record<string, { Name?: string }>).flatMap(
        ([id, c]) => [id, ...(c.Name ? [c.Name] : [])],
      );
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  async remove(): Promise<void> {
    let info: { Containers?: Record<string, { Name?: string }> };
    try {
      info = await dockerCall(this.#logger, `inspecting network ${this.name}`, {}, () =>
        this.#network.inspect(),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    // Detach glci containers that are still attached (the shared mock, typically); others would make removal fail loudly.
    for (const id of Object.keys(info.Containers ?? {})) {
      const labels = await this.#containerLabels(id);
      if (labels?.[LABEL_MANAGED] === 'true') await this.disconnect(id);
    }
    try {
      await dockerCall(this.#logger, `removing network ${this.name}`, {}, () => this.#network.remove());
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async #containerLabels(id: string): Promise<Record<string, string> | undefined> {
    try {
      const info = await dockerCall(this.#logger, `inspecting container ${id.slice(0, 12)}`, {}, () =>
        this.#docker.getContainer(id).inspect(),
      );
      return info.Config.Labels ?? {};
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}
