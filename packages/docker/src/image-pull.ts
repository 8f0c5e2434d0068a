import type { Environment, Logger } from '@glci/config';
import type Docker from 'dockerode';
import { dockerCall } from './docker-call.js';
import { DockerOperationError, ImageNotPresentError, isNotFound } from './errors.js';
import type { PullOptions, PullProgressEvent, PullResult } from './orchestrator.js';
import { dockerConfigAuth, normalizeImageReference } from './registry-auth.js';

/** Makes an image available according to the pull policy; see `Orchestrator.pull`. */
export async function pullImage(
  docker: Docker,
  image: string,
  options: PullOptions & { logger: Logger; env?: Environment },
): Promise<PullResult> {
  const reference = normalizeImageReference(image);
  const policy = options.policy ?? 'if-not-present';
  const logger = options.logger.child({ image: reference, policy });
  if (policy !== 'always') {
    const present = await imagePresent(docker, reference, logger);
    if (present) return { image: reference, pulled: false };
    if (policy === 'never') throw new ImageNotPresentError(reference);
  }
  const auth =
    options.auth ?? dockerConfigAuth(reference, { ...(options.env ? { env: options.env } : {}), logger });
  const action = `pulling image ${reference}`;
  logger.info('pulling image', { authenticated: auth !== undefined });
  const stream = (await dockerCall(logger, action, {}, () =>
    docker.pull(reference, {
      ...(auth ? { authconfig: auth } : {}),
      ...(options.signal ? { abortSignal: options.signal } : {}),
    }),
  )) as NodeJS.ReadableStream;
  try {
    await followPull(stream, (event) => options.onProgress?.({ image: reference, ...event }), options.signal);
  } catch (error) {
    const wrapped = error instanceof DockerOperationError ? error : new DockerOperationError(action, error);
    logger.error('pull failed', { error: wrapped.message });
    throw wrapped;
  }
  logger.info('pulled image');
  return { image: reference, pulled: true };
}

async function imagePresent(docker: Docker, reference: string, logger: Logger): Promise<boolean> {
  try {
    await dockerCall(logger, `inspecting image ${reference}`, {}, () => docker.getImage(reference).inspect());
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

interface RawPullMessage {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** Reads the daemon's JSON-lines pull stream, reporting each message, failing on an `error` message. */
function followPull(
  stream: NodeJS.ReadableStream,
  onEvent: (event: Omit<PullProgressEvent, 'image'>) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let failed: Error | undefined;
    const handle = (line: string) => {
      if (!line.trim()) return;
      let message: RawPullMessage;
      try {
        message = JSON.parse(line) as RawPullMessage;
      } catch {
        return;
      }
      if (message.error || message.errorDetail?.message) {
        failed ??= new Error(message.errorDetail?.message ?? message.error);
        return;
      }
      // Layer IDs are 12 hex characters; other `id`s are the tag (`Pulling from library/x`).
      const layer = message.id && /^[0-9a-f]{12}$/.test(message.id) ? message.id : undefined;
      onEvent({
        layer,
        status: message.status ?? '',
        current: message.progressDetail?.current,
        total: message.progressDetail?.total,
      });
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        handle(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      handle(buffer);
      if (failed) reject(failed);
      else resolve();
    });
    signal?.addEventListener('abort', () => reject(signal.reason ?? new Error('pull aborted')), {
      once: true,
    });
  });
}

/** Sums per-layer progress into totals, for a progress bar. */
export class PullProgressTracker {
  readonly #layers = new Map<string, { current: number; total: number; status: string }>();

  update(event: PullProgressEvent): void {
    if (!event.layer) return;
    const previous = this.#layers.get(event.layer) ?? { current: 0, total: 0, status: '' };
    const done = /complete|already exists/i.test(event.status);
    const downloading = /downloading/i.test(event.status);
    this.#layers.set(event.layer, {
      status: event.status,
      total: downloading && event.total ? event.total : previous.total,
      current:
        downloading && event.current !== undefined ? event.current : done ? previous.total : previous.current,
    });
  }

  /** Bytes downloaded and expected so far over all layers, plus layer counts. */
  summary(): { current: number; total: number; layers: number; done: number } {
    let current = 0;
    let total = 0;
    let done = 0;
    for (const layer of this.#layers.values()) {
      current += layer.current;
      total += layer.total;
      if (/pull complete|already exists/i.test(layer.status)) done += 1;
    }
    return { current, total, layers: this.#layers.size, done };
  }
}
