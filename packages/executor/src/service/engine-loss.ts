import { formatDuration, type Logger } from '@glci/config';
import { type EngineProbe, EngineWatch, engineProbe, waitForEngine } from '../engine-watch.js';
import type { ReadyInfrastructure } from '../infrastructure.js';

/** A pipeline running on the engine, as the engine's loss sees it. */
export interface EnginePipeline {
  readonly id: number;
  /** Stops following it without ending it; resolves once its saved state is written. */
  detach(): Promise<void>;
  /** Tells its followers (`glci run`) something. */
  notify(message: string): void;
}

export interface EngineLossOptions {
  readonly logger: Logger;
  /** `[docker] reconnect_timeout`, read when the engine is lost. */
  readonly reconnectTimeoutMs: () => number;
  /** The pipelines that run on `ready` now. */
  readonly pipelinesOn: (ready: ReadyInfrastructure) => readonly EnginePipeline[];
  /** Forgets `ready`: its connections, tunnel and event streams are dead. */
  readonly drop: (ready: ReadyInfrastructure) => void;
  /** The engine answers again: take the pipelines over, as a restarted daemon does. */
  readonly takeOver: (pipelines: readonly EnginePipeline[], host: string) => Promise<void>;
  /** The engine did not come back in time: the pipelines fail with `reason`. */
  readonly fail: (pipelines: readonly EnginePipeline[], reason: string) => Promise<void>;
  readonly env?: NodeJS.ProcessEnv;
  /** Probe settings (tests shorten them); see `EngineWatch`. */
  readonly watch?: {
    readonly intervalMs?: number;
    readonly misses?: number;
    readonly probeTimeoutMs?: number;
  };
  /** A probe of its own (unit tests); `engineProbe` of the infrastructure's endpoint otherwise. */
  readonly probe?: (ready: ReadyInfrastructure) => EngineProbe;
}

/**
 * A connection to the Docker engine lost mid-pipeline, treated like a daemon crash: while
 * pipelines run, the engine is probed (`EngineWatch`); once it stops answering, the pipelines on
 * it are detached with their state saved as it was, the infrastructure is dropped, and the engine
 * is probed until `[docker] reconnect_timeout`. Back in time: the pipelines are taken over (jobs
 * that ran on meanwhile re-attached, their log caught up). Not back: they are marked failed with
 * the reason, which names the endpoint and the step that failed. Never a hang.
 */
export class EngineLoss {
  readonly #options: EngineLossOptions;
  readonly #logger: Logger;
  readonly #watches = new Map<ReadyInfrastructure, EngineWatch>();

  constructor(options: EngineLossOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ module: 'engine-loss' });
  }

  /** A pipeline runs on `ready`: watch its engine (once per infrastructure). */
  watch(ready: ReadyInfrastructure): void {
    let watch = this.#watches.get(ready);
    if (!watch) {
      const settings = this.#options.watch ?? {};
      watch = new EngineWatch({
        host: ready.network.docker.host,
        probe: this.#probe(ready),
        ...(settings.intervalMs !== undefined ? { intervalMs: settings.intervalMs } : {}),
        ...(settings.misses !== undefined ? { misses: settings.misses } : {}),
        logger: this.#logger,
        onLost: (error) => void this.#lost(ready, error),
      });
      this.#watches.set(ready, watch);
    }
    watch.start();
  }

  /** No pipeline runs on `ready` any more: stop probing its engine. */
  idle(ready: ReadyInfrastructure): void {
    this.#watches.get(ready)?.stop();
  }

  /** The daemon stops. */
  close(): void {
    for (const watch of this.#watches.values()) watch.stop();
    this.#watches.clear();
  }

  #probe(ready: ReadyInfrastructure): EngineProbe {
    if (this.#options.probe) return this.#options.probe(ready);
    const timeoutMs = this.#options.watch?.probeTimeoutMs;
    return engineProbe(ready.network.docker, {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
  }

  async #lost(ready: ReadyInfrastructure, error: Error): Promise<void> {
    const host = ready.network.docker.host;
    const timeoutMs = this.#options.reconnectTimeoutMs();
    this.#watches.delete(ready);
    const pipelines = this.#options.pipelinesOn(ready);
    this.#logger.warn('lost the Docker engine mid-pipeline; waiting for it', {
      host,
      pipelines: pipelines.map((pipeline) => pipeline.id),
      timeoutMs,
      error: error.message,
    });
    try {
      for (const pipeline of pipelines) {
        await pipeline.detach();
        pipeline.notify(
          `lost the connection to the Docker engine (${error.message}); the pipeline goes on once the engine is back (waiting up to ${formatDuration(timeoutMs)}, [docker] reconnect_timeout)`,
        );
      }
      this.#options.drop(ready);
      const result = await waitForEngine({ probe: this.#probe(ready), timeoutMs });
      if (result.back) {
        this.#logger.info('the Docker engine is back; taking the pipelines over', { host });
        for (const pipeline of pipelines) pipeline.notify(`the Docker engine ${host} is back`);
        await this.#options.takeOver(pipelines, host);
        return;
      }
      await this.#options.fail(
        pipelines,
        `lost the connection to the Docker engine, and it did not come back within ${formatDuration(timeoutMs)} ([docker] reconnect_timeout): ${result.error.message}`,
      );
    } catch (failure) {
      // Whatever went wrong here must not leave the pipelines hanging.
      this.#logger.error('could not recover from the lost Docker engine', { host, error: String(failure) });
      await this.#options
        .fail(pipelines, `lost the connection to the Docker engine ${host}: ${(failure as Error).message}`)
        .catch(() => undefined);
    }
  }
}
