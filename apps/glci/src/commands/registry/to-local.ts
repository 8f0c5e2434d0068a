import { DEFAULT_DOCKER_SOCKET, type Logger } from '@glci/config';
import { connectDocker, type DockerConnection, type ImageTransferProgress, sendImages } from '@glci/docker';
import { humanSize } from '../system/format.js';

/** This machine's Docker engine: the Docker CLI's default socket. */
export const LOCAL_ENGINE = `unix://${DEFAULT_DOCKER_SOCKET}`;

/**
 * `glci registry pull --to-local` when glci's engine is another (a remote host over tcp:// or
 * ssh://, Podman): the image, pulled into that engine, is copied from it into this machine's
 * Docker over the Engine API (`sendImages`: save there, load here, with progress), since this
 * machine cannot reach the embedded registry's port on the remote host's loopback. Returns the
 * local engine's connection (to tag the image there), which the caller closes.
 */
export async function copyToLocalEngine(options: {
  readonly from: DockerConnection;
  readonly image: string;
  readonly logger: Logger;
  readonly progress: NodeJS.WritableStream;
}): Promise<DockerConnection> {
  const local = await connectDocker({ host: LOCAL_ENGINE, source: 'default' }, { logger: options.logger });
  try {
    const show = transferProgressPrinter(options.progress, LOCAL_ENGINE);
    await sendImages({
      from: { docker: options.from.docker, host: options.from.endpoint.host },
      to: { docker: local.docker, host: LOCAL_ENGINE },
      images: [options.image],
      logger: options.logger,
      onProgress: show,
    });
    return local;
  } catch (error) {
    local.close();
    throw error;
  }
}

/** One line per phase; while sending, the bytes so far redrawn in place on a terminal. */
function transferProgressPrinter(stream: NodeJS.WritableStream, target: string) {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  return (progress: ImageTransferProgress): void => {
    const size = `${humanSize(progress.bytes)} / ${humanSize(progress.totalBytes)}`;
    if (progress.phase === 'sending') {
      if (tty) stream.write(`\rcopying ${progress.image} to ${target}: ${size}`);
      return;
    }
    if (progress.phase === 'present') stream.write(`${progress.image}: already on ${target}\n`);
    else stream.write(`${tty ? '\r' : ''}copied ${progress.image} to ${target}: ${size}\n`);
  };
}
