import type { Logger } from '@glci/config';
import type { MockClient, PushThroughUpstream } from './mock-client.js';

/**
 * Decides whether the mock's registry mirrors pushes upstream and tells the mock: on when the
 * configuration says so (`[registry] push_through = true`), or while at least one pipeline run
 * with `glci run --push-through` is active. The mock container gets no configuration file, so
 * the daemon sends the settings after every (re)start of the mock, with the upstream's
 * credentials expanded from the user's configuration (never logged).
 */
export class PushThroughControl {
  readonly #upstream: PushThroughUpstream;
  readonly #alwaysOn: boolean;
  readonly #logger: Logger;
  #runs = 0;
  #sent: boolean | undefined;

  constructor(options: { upstream: PushThroughUpstream; alwaysOn: boolean; logger: Logger }) {
    this.#upstream = options.upstream;
    this.#alwaysOn = options.alwaysOn;
    this.#logger = options.logger.child({ module: 'push-through' });
  }

  get enabled(): boolean {
    return this.#alwaysOn || this.#runs > 0;
  }

  /** Sends the current state (after the mock started: it begins with mirroring off). */
  async apply(client: MockClient): Promise<void> {
    const enabled = this.enabled;
    await client.setPushThrough(enabled ? { ...this.#upstream } : null);
    if (this.#sent !== enabled) {
      this.#logger.info(enabled ? 'push-through mirror on' : 'push-through mirror off', {
        upstream: this.#upstream.url,
      });
    }
    this.#sent = enabled;
  }

  /** A `--push-through` run starts: mirroring is on until `release`. */
  async acquire(client: MockClient): Promise<void> {
    this.#runs += 1;
    if (this.#sent !== true) await this.apply(client);
  }

  async release(client: MockClient): Promise<void> {
    this.#runs = Math.max(0, this.#runs - 1);
    if (!this.enabled && this.#sent !== false) await this.apply(client);
  }
}
