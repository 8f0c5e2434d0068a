import type { CliContext } from '../../cli-context.js';
import { connectDaemon } from '../daemon/daemon-session.js';
import type { Confirm } from '../system/confirm.js';
import { openOrchestrator } from '../system/docker-session.js';
import { humanSize } from '../system/format.js';
import { pullProgressPrinter } from '../system/pull-progress.js';
import { copyToLocalEngine, LOCAL_ENGINE } from './to-local.js';
import { UsageError } from './usage-error.js';

/**
 * The commands on the embedded registry of `glci run` (the one in the glci-mock container,
 * reached through the daemon), as opposed to `serve`/`list`/`stats`/`gc`, which work on a
 * storage directly.
 */

/** `group/app/web:1`, or a name with a registry host in front (`$CI_REGISTRY/…`, `127.0.0.1:39741/…`). */
export interface EmbeddedImage {
  /** The repository path inside the embedded registry. */
  readonly repository: string;
  /** `:tag` or `@sha256:…`. */
  readonly reference: string;
}

/**
 * Splits an image name as a pipeline would write it. A first component that looks like a host
 * (`.`, `:` or `localhost`) must be one of the embedded registry's names; anything else is
 * another registry, which this command does not pull from.
 */
export function parseEmbeddedImage(image: string, registryNames: readonly string[]): EmbeddedImage {
  let rest = image.trim();
  const slash = rest.indexOf('/');
  const first = slash > 0 ? rest.slice(0, slash) : '';
  if (first && (/[.:]/.test(first) || first === 'localhost')) {
    if (!registryNames.includes(first)) {
      throw new UsageError(
        `${image} is not in the embedded registry (${registryNames[0]}); name it by its path, such as group/app:1`,
      );
    }
    rest = rest.slice(slash + 1);
  }
  const digestAt = rest.indexOf('@');
  const tagAt = rest.lastIndexOf(':');
  let repository: string;
  let reference: string;
  if (digestAt >= 0) {
    repository = rest.slice(0, digestAt);
    reference = rest.slice(digestAt);
    if (!/^@sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/.test(reference))
      throw new UsageError(`${image}: expected a digest such as @sha256:<64 hex digits>`);
  } else if (tagAt > rest.lastIndexOf('/')) {
    repository = rest.slice(0, tagAt);
    reference = `:${rest.slice(tagAt + 1)}`;
    if (!/^:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(reference))
      throw new UsageError(`${image}: "${reference.slice(1)}" is not a valid tag`);
  } else {
    repository = rest;
    reference = ':latest';
  }
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)
  ) {
    throw new UsageError(
      `${image}: "${repository}" is not a repository name (lower case, such as group/app)`,
    );
  }
  return { repository, reference };
}

/**
 * `glci registry pull IMAGE [PREFIX]`: pulls an image of the embedded registry into the Docker
 * engine glci uses (through the mock's port published on that engine's host's 127.0.0.1, so no
 * TLS or insecure-registry setting is needed), with progress; PREFIX also tags it
 * `PREFIX/<path>:<tag>` (`app:1 local` → `local/app:1`). With `--to-local`, when that engine is
 * another than this machine's (a remote host, Podman), the image is then copied into this
 * machine's Docker and tagged there.
 */
export async function registryPullCommand(
  ctx: CliContext,
  image: string,
  prefix: string | undefined,
  options: { json?: boolean; toLocal?: boolean },
): Promise<void> {
  if (
    prefix !== undefined &&
    !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(prefix)
  ) {
    throw new UsageError(`prefix "${prefix}": expected lower-case name components such as local or my/team`);
  }
  const { client } = await connectDaemon(ctx);
  const names = await client.request<{ hostRegistry: string; ciRegistry: string }>(
    'POST',
    '/registry/ready',
    {},
    { timeoutMs: 180_000 },
  );
  const port = names.hostRegistry.split(':').pop();
  const { repository, reference } = parseEmbeddedImage(image, [
    names.hostRegistry,
    names.ciRegistry,
    `localhost:${port}`,
    `host.docker.internal:${port}`,
    `glci-mock:${port}`,
  ]);
  const source = `${names.hostRegistry}/${repository}${reference}`;
  const orchestrator = await openOrchestrator(ctx);
  const progress = pullProgressPrinter(process.stderr);
  await orchestrator.pull(source, { policy: 'always', onProgress: progress.onProgress });
  progress.finish();
  const pulledInto = orchestrator.connection.endpoint.host;
  const local =
    options.toLocal && pulledInto !== LOCAL_ENGINE
      ? await copyToLocalEngine({
          from: orchestrator.connection,
          image: source,
          logger: ctx.logger(),
          progress: process.stderr,
        })
      : undefined;
  const engine = local ? LOCAL_ENGINE : pulledInto;
  let tagged: string | undefined;
  try {
    if (prefix !== undefined) {
      const tag = reference.startsWith(':') ? reference.slice(1) : 'latest';
      tagged = `${prefix}/${repository}:${tag}`;
      await (local?.docker ?? orchestrator.docker)
        .getImage(source)
        .tag({ repo: `${prefix}/${repository}`, tag });
    }
  } finally {
    local?.close();
  }
  if (options.json) {
    ctx.out.write(`${JSON.stringify({ image: source, engine, ...(tagged ? { tagged } : {}) })}\n`);
    return;
  }
  ctx.out.write(
    `Pulled ${source}${local ? ` on ${pulledInto} and copied it to ${engine}` : engine === LOCAL_ENGINE ? '' : ` on ${engine}`}\n${tagged ? `Tagged ${tagged}\n` : ''}`,
  );
}

interface ProjectCleanReport {
  readonly repositories: readonly string[];
  readonly manifestsDeleted: number;
  readonly blobsDeleted: number;
  readonly bytesDeleted: number;
}

/**
 * `glci registry clean [--project P]`: empties the embedded registry (pushed images and the
 * pull-through cache: the registry volumes go), or deletes one project's images
 * (`CI_REGISTRY_IMAGE` and below). Asks first unless --force; refused while pipelines run.
 */
export async function registryCleanCommand(
  ctx: CliContext,
  options: { project?: string; force?: boolean; json?: boolean },
  confirm: Confirm,
): Promise<void> {
  if (
    options.project !== undefined &&
    !/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(options.project)
  ) {
    throw new UsageError(`--project "${options.project}": expected a project path such as group/app`);
  }
  if (!options.force) {
    const question = options.project
      ? `Delete every image of ${options.project} (and below it) from the embedded registry?`
      : 'Delete every image in the embedded registry, pushed and cached?';
    if (!(await confirm(question, 'clean the registry'))) {
      process.stderr.write('glci: nothing was deleted\n');
      return;
    }
  }
  const { client } = await connectDaemon(ctx);
  const body = options.project ? { project: options.project } : {};
  const answer = await client.request<ProjectCleanReport | { volumesRemoved: string[] }>(
    'POST',
    '/registry/clean',
    body,
    { timeoutMs: 30 * 60_000 },
  );
  if (options.json) {
    ctx.out.write(`${JSON.stringify(answer, null, 2)}\n`);
    return;
  }
  if ('volumesRemoved' in answer) {
    ctx.out.write(
      answer.volumesRemoved.length > 0
        ? `The embedded registry is empty (removed ${answer.volumesRemoved.join(', ')}); the next pipeline starts it anew.\n`
        : 'The embedded registry was already empty.\n',
    );
    return;
  }
  ctx.out.write(
    answer.repositories.length === 0
      ? `No image of ${options.project} in the embedded registry.\n`
      : `Deleted ${answer.repositories.length} ${answer.repositories.length === 1 ? 'repository' : 'repositories'} (${answer.manifestsDeleted} manifests; ${answer.blobsDeleted} blobs, ${humanSize(answer.bytesDeleted)}):\n${answer.repositories.map((name) => `  ${name}\n`).join('')}`,
  );
}
