import { Transform } from 'node:stream';
import type { Logger } from '@glci/config';
import type Docker from 'dockerode';
import { describeDockerError, ImageTransferError, isNotFound } from './errors.js';

/** One engine of a transfer: its client and its endpoint (for messages). */
export interface TransferEngine {
  readonly docker: Docker;
  readonly host: string;
}

export interface ImageTransferProgress {
  readonly image: string;
  /** `present`: the target already has this exact image (same ID); `sending`: bytes are flowing; `loaded`: done. */
  readonly phase: 'present' | 'sending' | 'loaded';
  readonly bytes: number;
  /** The image's size on the source engine (uncompressed); the archive is about as large. */
  readonly totalBytes: number;
}

export interface SendImagesOptions {
  readonly from: TransferEngine;
  readonly to: TransferEngine;
  readonly images: readonly string[];
  readonly logger: Logger;
  /** Called for each phase, and while sending at most every `progressIntervalMs` (500 by default). */
  readonly onProgress?: (progress: ImageTransferProgress) => void;
  readonly progressIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface SentImage {
  readonly image: string;
  /** The image ID (the same on both engines afterwards). */
  readonly id: string;
  /** False when the target already had it. */
  readonly sent: boolean;
  readonly bytes: number;
}

/**
 * Makes `images` present on `to` exactly as they are on `from`, over the Engine API only: each
 * image the target lacks, or has under the same name but with another ID (a rebuilt
 * `glci-mock:local`), is streamed from `GET /images/{name}/get` on the source into
 * `POST /images/load` on the target, without a temporary file. This is how glci gets locally
 * built images (the mock, runner and helper images built on this machine) onto a remote Docker
 * host, which could not pull them from anywhere. Failures are `ImageTransferError`s naming the
 * image, both engines and the step (`inspect` on the source, `save`, `load`).
 */
export async function sendImages(options: SendImagesOptions): Promise<SentImage[]> {
  const results: SentImage[] = [];
  for (const image of options.images) {
    options.signal?.throwIfAborted();
    results.push(await sendImage(image, options));
  }
  return results;
}

async function sendImage(image: string, options: SendImagesOptions): Promise<SentImage> {
  const { from, to } = options;
  const logger = options.logger.child({ module: 'image-transfer', image, from: from.host, to: to.host });
  const details = { image, from: from.host, to: to.host };
  let source: Docker.ImageInspectInfo;
  try {
    source = await from.docker.getImage(image).inspect();
  } catch (error) {
    throw new ImageTransferError(
      { ...details, step: 'inspect' },
      isNotFound(error)
        ? `image transfer: ${image} is not on ${from.host}, so it cannot be sent to ${to.host}: build or pull it there first`
        : `image transfer: inspecting ${image} on ${from.host}: ${describeDockerError(error)}`,
      error,
    );
  }
  const totalBytes = source.Size;
  const existing = await to.docker
    .getImage(image)
    .inspect()
    .catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw new ImageTransferError(
        { ...details, step: 'load' },
        `image transfer: inspecting ${image} on ${to.host}: ${describeDockerError(error)}`,
        error,
      );
    });
  if (existing?.Id === source.Id) {
    logger.debug('the target engine has the image already', { id: source.Id });
    options.onProgress?.({ image, phase: 'present', bytes: 0, totalBytes });
    return { image, id: source.Id, sent: false, bytes: 0 };
  }

  logger.info('sending image', { id: source.Id, bytes: totalBytes, replacing: existing?.Id });
  let bytes = 0;
  let lastReport = 0;
  const interval = options.progressIntervalMs ?? 500;
  options.onProgress?.({ image, phase: 'sending', bytes, totalBytes });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      const now = Date.now();
      if (now - lastReport >= interval) {
        lastReport = now;
        options.onProgress?.({ image, phase: 'sending', bytes, totalBytes });
      }
      callback(null, chunk);
    },
  });

  let saveError: unknown;
  let archive: NodeJS.ReadableStream;
  try {
    archive = (await from.docker.getImage(image).get()) as NodeJS.ReadableStream;
  } catch (error) {
    throw new ImageTransferError(
      { ...details, step: 'save' },
      `image transfer: reading ${image} from ${from.host}: ${describeDockerError(error)}`,
      error,
    );
  }
  const abort = () => (archive as unknown as { destroy(error?: Error): void }).destroy(new Error('aborted'));
  options.signal?.addEventListener('abort', abort, { once: true });
  archive.on('error', (error: unknown) => {
    saveError ??= error;
    counter.destroy(error as Error);
  });
  archive.pipe(counter);
  try {
    const response = (await to.docker.loadImage(counter, {
      quiet: true,
      ...(options.signal ? { abortSignal: options.signal } : {}),
    })) as NodeJS.ReadableStream;
    await readLoadResponse(response);
  } catch (error) {
    options.signal?.throwIfAborted();
    const step = saveError ? 'save' : 'load';
    const cause = saveError ?? error;
    const message =
      step === 'save'
        ? `image transfer: reading ${image} from ${from.host} failed after ${bytes} bytes: ${describeDockerError(cause)}`
        : `image transfer: loading ${image} into ${to.host} failed after ${bytes} bytes: ${describeDockerError(cause)}`;
    logger.error('image transfer failed', { step, error: message });
    throw new ImageTransferError({ ...details, step }, message, cause);
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }

  const loaded = await to.docker
    .getImage(image)
    .inspect()
    .catch(() => undefined);
  if (loaded?.Id !== source.Id) {
    throw new ImageTransferError(
      { ...details, step: 'load' },
      `image transfer: ${to.host} accepted the archive of ${image} but does not list it under that name with ID ${source.Id} afterwards (it has ${loaded?.Id ?? 'nothing'})`,
    );
  }
  options.onProgress?.({ image, phase: 'loaded', bytes, totalBytes });
  logger.info('sent image', { id: source.Id, bytes });
  return { image, id: source.Id, sent: true, bytes };
}

/** `POST /images/load` answers JSON lines; an `error` line means it failed although the status was 200. */
function readLoadResponse(response: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.on('data', (chunk: Buffer) => {
      if (text.length < 64 * 1024) text += chunk.toString('utf8');
    });
    response.on('error', reject);
    response.on('end', () => {
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        let message: { error?: string; errorDetail?: { message?: string } };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          continue;
        }
        const failure = message.errorDetail?.message ?? message.error;
        if (failure) {
          reject(new Error(failure));
          return;
        }
      }
      resolve();
    });
  });
}
