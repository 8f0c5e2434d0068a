import type { Logger } from '@glci/config';
import type { ProxyNamespace } from '@glci/proxy';
import { deleteRepositoryContent, garbageCollect, type RegistryNamespace } from '@glci/registry';
import { BadRequestError } from '@glci/runner-api';
import { json, type Request, type Response } from 'express';
import { z } from 'zod';
import { sendJson } from './internal-routes.js';

const cleanSchema = z.strictObject({
  /** A project path (`group/app`): its repository and those below it. Unset: every repository. */
  project: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/, {
      message: 'expected a project path such as group/app',
    })
    .optional(),
});

/**
 * `POST /internal/registry/clean {project?}` (`glci registry clean --project`): deletes the tags
 * and manifests of the project's repositories (`CI_REGISTRY_IMAGE` and the images below it), then
 * collects the blobs nothing references any more, at once (no grace period: the daemon refuses
 * the clean while a pipeline runs). The pull-through cache forgets what it cached under those
 * names too (an image the push-through mirror put upstream would otherwise still be served from
 * it); what it cached for other repositories stays a GC root. Answers `{repositories,
 * manifestsDeleted, blobsDeleted, bytesDeleted}`.
 */
export function registryCleanRoute(options: {
  readonly local: RegistryNamespace;
  readonly proxy: ProxyNamespace | undefined;
  readonly logger: Logger;
}): (req: Request, res: Response) => Promise<void> {
  const body = json({ limit: '16kb' });
  const log = options.logger.child({ module: 'registry-clean' });
  return async (req, res) => {
    await new Promise<void>((resolve, reject) =>
      body(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
    );
    const parsed = cleanSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BadRequestError(`${issue.path.join('.') || '(body)'}: ${issue.message}`);
    }
    // Repository names are lower case (`CI_REGISTRY_IMAGE` lowers the project path too).
    const project = parsed.data.project?.toLowerCase();
    const local = new Set(await options.local.repositoryNames());
    const known = new Set(local);
    if (options.proxy) for (const name of (await options.proxy.catalog()).repositories) known.add(name);
    const repositories = [...known]
      .filter((name) => project === undefined || name === project || name.startsWith(`${project}/`))
      .sort();
    let manifestsDeleted = 0;
    for (const name of repositories) {
      if (local.has(name)) manifestsDeleted += await deleteRepositoryContent(options.local, name);
    }
    if (options.proxy) await options.proxy.forgetRepositories(repositories);
    const report = await garbageCollect(options.local, {
      gracePeriodMs: 0,
      ...(options.proxy ? { extraRoots: options.proxy.gcRoots() } : {}),
      logger: log,
    });
    log.info('registry cleaned', {
      project: project ?? '(all)',
      repositories: repositories.length,
      manifestsDeleted,
      blobsDeleted: report.blobsDeleted,
    });
    sendJson(res, 200, {
      repositories,
      manifestsDeleted,
      blobsDeleted: report.blobsDeleted,
      bytesDeleted: report.bytesDeleted,
    });
  };
}
