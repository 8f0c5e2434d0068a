import { WaitTimeoutError } from '../errors.js';
import type { StartedContainer } from '../orchestrator.js';

export interface WaitForHealthyOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Waits until Docker reports the container `healthy` (a running container without a health check
 * counts as healthy). Fails at once when the container stops, and after `timeoutMs` otherwise.
 * While it is not healthy yet, the check is run on request where the engine offers that
 * (`runHealthcheck`: Podman, whose scheduled checks need systemd).
 */
export async function waitForHealthy(
  container: StartedContainer,
  options: WaitForHealthyOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const target = `container ${container.name} to become healthy`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const state = await container.state();
    if (state.health === 'healthy' || (state.running && state.health === undefined)) return;
    // `created`: another process is about to start it; `exited`, `dead`, `missing`: it will not get healthy.
    if (!state.running && state.status !== 'created' && state.status !== 'restarting') {
      throw new WaitTimeoutError(target, 0, `it is ${state.status}`);
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(target, timeoutMs, `health is ${state.health}`);
    if (state.running && state.health !== undefined) await container.runHealthcheck?.();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
