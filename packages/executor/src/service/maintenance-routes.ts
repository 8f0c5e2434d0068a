import { DaemonHttpError } from '@glci/daemon';
import { Router } from 'express';
import { z } from 'zod';
import type { Infrastructure, ReadyInfrastructure } from '../infrastructure.js';

const cleanRequestSchema = z.strictObject({ project: z.string().min(1).optional() });

/** What the maintenance routes need of the pipeline service. */
export interface MaintenanceHost {
  /** The infrastructure for the current configuration (not started). */
  infrastructure(): Infrastructure;
  /** The infrastructure, started (mock and runner up). */
  ready(): Promise<ReadyInfrastructure>;
  /** Pipelines still running in this daemon. */
  running(): number;
}

/**
 * The daemon's maintenance of the embedded registry and the CI cache, beside the pipelines:
 *
 * ```
 * POST /registry/ready    → {hostRegistry, ciRegistry}: the mock is up (glci registry pull)
 * POST /registry/clean    {project?} → {repositories, manifestsDeleted, blobsDeleted, bytesDeleted}
 *                         or, without a project, {volumesRemoved}: 409 while pipelines run
 * POST /cache/clean       → {entries, bytes}
 * ```
 */
export function maintenanceRoutes(host: MaintenanceHost): Router {
  const router = Router();

  router.post('/registry/ready', async (_req, res) => {
    const ready = await host.ready();
    res.json({
      hostRegistry: ready.network.registry.hostRegistry,
      ciRegistry: ready.network.registry.ciRegistry,
    });
  });

  router.post('/registry/clean', async (req, res) => {
    const parsed = cleanRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new DaemonHttpError(400, 'bad-request', parsed.error.issues[0]!.message);
    const running = host.running();
    if (running > 0) {
      // Cleaning collects at once, without GC's grace period: a push in flight would lose blobs.
      throw new DaemonHttpError(
        409,
        'busy',
        `${running} pipeline${running === 1 ? ' is' : 's are'} running; wait for ${running === 1 ? 'it' : 'them'} or stop ${running === 1 ? 'it' : 'them'} (glci stop) first`,
      );
    }
    const { project } = parsed.data;
    if (project === undefined) {
      res.json({ volumesRemoved: await host.infrastructure().removeRegistryData() });
      return;
    }
    const ready = await host.ready();
    res.json(await ready.client.cleanRegistry(project));
  });

  router.post('/cache/clean', async (_req, res) => {
    const ready = await host.ready();
    res.json(await ready.client.cleanCache());
  });

  return router;
}
