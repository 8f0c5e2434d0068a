import type { Logger } from '@glci/config';
import type Docker from 'dockerode';
import { dockerCall } from './docker-call.js';
import { isConflict, isNotFound } from './errors.js';
import { filterLabels, type GlciFilter, LABEL_PERSISTENT, matchesLabels } from './labels.js';
import type { ReapOptions, ReapReport } from './orchestrator.js';

/**
 * Removes glci's objects (`glci system prune` is this function). Everything is selected by label:
 * an object without `dev.glci.managed=true` (and the filter's labels) is never touched.
 *
 * Plain: stopped containers, networks no container uses, and volumes no container uses, except
 * the persistent ones (`dev.glci.persistent`: registry, registry CA, cache).
 * `all`: every container (running ones are killed), network, volume and image glci made.
 */
export async function reapGlciObjects(
  docker: Docker,
  parentLogger: Logger,
  filter: GlciFilter,
  options: ReapOptions,
): Promise<ReapReport> {
  const logger = parentLogger.child({ module: 'reaper', all: options.all ?? false });
  const wanted = filterLabels(filter);
  const usage = await diskUsageRaw(docker, logger);
  const removed = { containers: [] as string[], networks: [] as string[], volumes: [] as string[] };
  let reclaimedBytes = 0;

  for (const container of usage.Containers ?? []) {
    if (!matchesLabels(container.Labels, wanted)) continue;
    if (!options.all && container.State === 'running') continue;
    if (!options.all && (container.State === 'restarting' || container.State === 'paused')) continue;
    const name = (container.Names?.[0] ?? container.Id).replace(/^\//, '');
    try {
      await dockerCall(logger, `removing container ${name}`, { container: name }, () =>
        docker.getContainer(container.Id).remove({ force: true, v: true }),
      );
      removed.containers.push(name);
      reclaimedBytes += container.SizeRw ?? 0;
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  const networks = await dockerCall(logger, 'listing glci networks', {}, () => docker.listNetworks());
  for (const network of networks) {
    if (!matchesLabels(network.Labels, wanted)) continue;
    const inspected = await dockerCall(logger, `inspecting network ${network.Name}`, {}, () =>
      docker.getNetwork(network.Id).inspect(),
    ).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    if (!inspected) continue;
    const attached = Object.keys(inspected.Containers ?? {});
    if (attached.length > 0 && !options.all) continue;
    try {
      for (const id of attached) {
        await dockerCall(
          logger,
          `detaching container ${id.slice(0, 12)} from network ${network.Name}`,
          {},
          () => docker.getNetwork(network.Id).disconnect({ Container: id, Force: true }),
        ).catch(() => undefined);
      }
      await dockerCall(logger, `removing network ${network.Name}`, { network: network.Name }, () =>
        docker.getNetwork(network.Id).remove(),
      );
      removed.networks.push(network.Name);
    } catch (error) {
      // In use by a container glci did not make, or gone meanwhile: leave it.
      if (!isNotFound(error) && !isConflict(error) && !/active endpoints/.test(String(error))) throw error;
    }
  }

  for (const volume of usage.Volumes ?? []) {
    if (!matchesLabels(volume.Labels, wanted)) continue;
    if (!options.all && volume.Labels?.[LABEL_PERSISTENT] === 'true') continue;
    try {
      await dockerCall(logger, `removing volume ${volume.Name}`, { volume: volume.Name }, () =>
        docker.getVolume(volume.Name).remove(),
      );
      removed.volumes.push(volume.Name);
      reclaimedBytes += Math.max(0, volume.UsageData?.Size ?? 0);
    } catch (error) {
      // 409: still used by a container, so not orphaned.
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  if (options.all) {
    for (const image of usage.Images ?? []) {
      if (!matchesLabels(image.Labels, wanted)) continue;
      try {
        await dockerCall(logger, `removing image ${image.RepoTags?.[0] ?? image.Id}`, {}, () =>
          docker.getImage(image.Id).remove({ force: true }),
        );
        reclaimedBytes += image.Size ?? 0;
      } catch (error) {
        if (!isNotFound(error) && !isConflict(error)) throw error;
      }
    }
  }
  logger.info('pruned glci objects', {
    containers: removed.containers.length,
    networks: removed.networks.length,
    volumes: removed.volumes.length,
    reclaimedBytes,
  });
  return { ...removed, reclaimedBytes };
}

export interface DiskUsageEntry {
  readonly name: string;
  readonly role: string | undefined;
  readonly bytes: number;
  readonly detail?: string;
}

export interface DiskUsageReport {
  readonly containers: readonly DiskUsageEntry[];
  readonly images: readonly DiskUsageEntry[];
  readonly volumes: readonly DiskUsageEntry[];
  readonly networks: readonly DiskUsageEntry[];
  readonly totalBytes: number;
}

/** Space used by glci's containers (writable layers), images, volumes and its networks (count only). */
export async function diskUsage(
  docker: Docker,
  parentLogger: Logger,
  filter: GlciFilter = {},
): Promise<DiskUsageReport> {
  const logger = parentLogger.child({ module: 'disk-usage' });
  const wanted = filterLabels(filter);
  const usage = await diskUsageRaw(docker, logger);
  const role = (labels: Record<string, string> | undefined) => labels?.['dev.glci.role'];
  const containers = (usage.Containers ?? [])
    .filter((c) => matchesLabels(c.Labels, wanted))
    .map((c) => ({
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      role: role(c.Labels),
      bytes: c.SizeRw ?? 0,
      detail: c.State,
    }));
  const images = (usage.Images ?? [])
    .filter((i) => matchesLabels(i.Labels, wanted))
    .map((i) => ({ name: i.RepoTags?.[0] ?? i.Id, role: role(i.Labels), bytes: i.Size ?? 0 }));
  const volumes = (usage.Volumes ?? [])
    .filter((v) => matchesLabels(v.Labels, wanted))
    .map((v) => ({
      name: v.Name,
      role: role(v.Labels),
      bytes: Math.max(0, v.UsageData?.Size ?? 0),
      detail: `${v.UsageData?.RefCount ?? 0} container(s)`,
    }));
  const filters = JSON.stringify({ label: Object.entries(wanted).map(([k, v]) => `${k}=${v}`) });
  const networks = (
    await dockerCall(logger, 'listing glci networks', {}, () => docker.listNetworks({ filters }))
  ).map((n) => ({ name: n.Name, role: role(n.Labels), bytes: 0 }));
  const totalBytes = [...containers, ...images, ...volumes].reduce((sum, entry) => sum + entry.bytes, 0);
  return { containers, images, volumes, networks, totalBytes };
}

interface RawDiskUsage {
  Containers?: {
    Id: string;
    Names?: string[];
    State?: string;
    SizeRw?: number;
    Labels?: Record<string, string>;
  }[];
  Images?: { Id: string; RepoTags?: string[]; Size?: number; Labels?: Record<string, string> }[];
  Volumes?: {
    Name: string;
    Labels?: Record<string, string>;
    UsageData?: { Size?: number; RefCount?: number };
  }[];
}

async function diskUsageRaw(docker: Docker, logger: Logger): Promise<RawDiskUsage> {
  // The daemon runs one disk-usage computation at a time and refuses a second one meanwhile.
  for (let attempt = 1; ; attempt += 1) {
    try {
      const usage = (await dockerCall(logger, 'reading Docker disk usage', { attempt }, () =>
        docker.df(),
      )) as RawDiskUsage;
      return await withListedLabels(docker, logger, usage);
    } catch (error) {
      if (attempt >= 20 || !/already running/i.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

const unlabelled = (labels: Record<string, string> | null | undefined) =>
  !labels || Object.keys(labels).length === 0;
const bareId = (id: string) => id.replace(/^sha256:/, '');

/**
 * Podman's `/system/df` lists volumes and images without their labels (and images with broken
 * tags): where entries come without labels, the labels (and tags) are taken from the volume and
 * image listings, which have them, so that glci's objects are found by label on Podman too.
 */
async function withListedLabels(docker: Docker, logger: Logger, usage: RawDiskUsage): Promise<RawDiskUsage> {
  const volumes = usage.Volumes ?? [];
  const images = usage.Images ?? [];
  let result = usage;
  if (volumes.some((volume) => unlabelled(volume.Labels))) {
    const listed = await dockerCall(logger, 'listing volumes', {}, () => docker.listVolumes());
    const byName = new Map((listed.Volumes ?? []).map((volume) => [volume.Name, volume.Labels ?? {}]));
    result = {
      ...result,
      Volumes: volumes.map((volume) =>
        unlabelled(volume.Labels) ? { ...volume, Labels: byName.get(volume.Name) ?? {} } : volume,
      ),
    };
  }
  if (images.some((image) => unlabelled(image.Labels))) {
    const listed = await dockerCall(logger, 'listing images', {}, () => docker.listImages());
    const byId = new Map(listed.map((image) => [bareId(image.Id), image]));
    result = {
      ...result,
      Images: images.map((image) => {
        const found = byId.get(bareId(image.Id));
        if (!found || !unlabelled(image.Labels)) return image;
        return { ...image, Labels: found.Labels ?? {}, RepoTags: found.RepoTags ?? image.RepoTags ?? [] };
      }),
    };
  }
  return result;
}
