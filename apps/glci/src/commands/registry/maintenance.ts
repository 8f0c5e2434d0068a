import { formatSize, parseDuration, UnitParseError } from '@glci/config';
import { readSavedProxyStats, type SavedProxyStats, savedCacheRoots } from '@glci/proxy';
import {
  createNamespace,
  DEFAULT_GC_GRACE_PERIOD_MS,
  type GarbageCollectReport,
  garbageCollect,
  listRepositories,
  type RegistryNamespace,
  registryStats,
} from '@glci/registry';
import type { CliContext } from '../../cli-context.js';
import { openStorage, UsageError } from './options.js';

/** `list`, `stats` and `gc` work directly on a storage location (not through a running server). */
async function withNamespace<T>(
  storage: string | undefined,
  ctx: CliContext,
  use: (namespace: RegistryNamespace, description: string) => Promise<T>,
): Promise<T> {
  const logger = ctx.logger();
  const opened = await openStorage(storage, ctx.config().config.registry.storage, ctx.cwd, logger);
  try {
    return await use(createNamespace({ driver: opened.driver, logger }), opened.description);
  } finally {
    await opened.driver.close?.();
  }
}

export async function listCommand(
  options: { storage?: string; json?: boolean },
  ctx: CliContext,
): Promise<void> {
  const listings = await withNamespace(options.storage, ctx, (namespace) => listRepositories(namespace));
  if (options.json) {
    ctx.out.write(`${JSON.stringify(listings, null, 2)}\n`);
    return;
  }
  if (listings.length === 0) {
    ctx.out.write('no repositories\n');
    return;
  }
  const rows: [string, string, string][] = [['REPOSITORY', 'TAG', 'DIGEST']];
  for (const listing of listings) {
    for (const { tag, digest } of listing.tags) rows.push([listing.name, tag, digest]);
    if (listing.untaggedManifests > 0) {
      rows.push([listing.name, '<none>', `${listing.untaggedManifests} untagged manifest(s)`]);
    }
    if (listing.tags.length === 0 && listing.untaggedManifests === 0) rows.push([listing.name, '<none>', '']);
  }
  ctx.out.write(table(rows));
}

export async function statsCommand(
  options: { storage?: string; json?: boolean },
  ctx: CliContext,
): Promise<void> {
  const logger = ctx.logger();
  const { stats, proxy, description } = await withNamespace(
    options.storage,
    ctx,
    async (namespace, description) => ({
      stats: await registryStats(namespace),
      // A pull-through cache serving from this storage saves its counters here.
      proxy: await readSavedProxyStats(namespace.driver).catch((error: unknown) => {
        logger.warn('the proxy counters in this storage could not be read', { error: String(error) });
        return undefined;
      }),
      description,
    }),
  );
  if (options.json) {
    const proxyJson = proxy ? { proxy: { ...proxy, savedAt: new Date(proxy.savedAt).toISOString() } } : {};
    ctx.out.write(`${JSON.stringify({ storage: description, ...stats, ...proxyJson }, null, 2)}\n`);
    return;
  }
  ctx.out.write(
    table([
      ['storage', description],
      ['repositories', String(stats.repositories)],
      ['tags', String(stats.tags)],
      ['manifests', String(stats.manifests)],
      ['blobs', `${stats.blobs} (${size(stats.bytes)})`],
      ['uploads in progress', `${stats.uploads.sessions} (${size(stats.uploads.bytes)})`],
    ]),
  );
  if (proxy) ctx.out.write(formatProxyStats(proxy));
}

/** The pull-through cache's saved counters: the cache's size, then one row per upstream. */
function formatProxyStats(proxy: SavedProxyStats): string {
  const saved = new Date(proxy.savedAt).toISOString();
  const lines = [
    '',
    `pull-through cache: ${proxy.cache.entries} cached manifests and blobs (${size(proxy.cache.bytes)}), counters as saved ${saved}`,
    table([
      [
        'UPSTREAM',
        'HITS',
        'MISSES',
        'REVALIDATIONS',
        'STALE SERVED',
        'FROM CACHE',
        'FETCHED',
        'RATELIMIT-REMAINING',
      ],
      ...proxy.upstreams.map((upstream) => [
        upstream.url,
        String(upstream.hits),
        String(upstream.misses),
        String(upstream.revalidations),
        String(upstream.staleServed),
        size(upstream.bytesFromCache),
        size(upstream.bytesFetched),
        upstream.rateLimitRemaining ?? '-',
      ]),
    ]).trimEnd(),
  ];
  for (const upstream of proxy.upstreams) {
    if (upstream.lastError) lines.push(`last error of ${upstream.url}: ${upstream.lastError}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface GcOptions {
  readonly storage?: string;
  readonly dryRun?: boolean;
  readonly deleteUntagged?: boolean;
  readonly gracePeriod?: string;
  readonly json?: boolean;
}

/**
 * Mark and sweep. Safe while a server pushes into the same storage (see the registry's gc.ts): content
 * younger than the grace period is never removed. What the pull-through cache's saved index
 * (`/proxy/cache-index.json`) records is a root too, tagged or not. Progress goes to the log every
 * few seconds.
 */
export async function gcCommand(options: GcOptions, ctx: CliContext): Promise<void> {
  let gracePeriodMs = DEFAULT_GC_GRACE_PERIOD_MS;
  if (options.gracePeriod !== undefined) {
    try {
      gracePeriodMs = parseDuration(options.gracePeriod);
    } catch (error) {
      if (error instanceof UnitParseError) throw new UsageError(`--grace-period: ${error.message}`);
      throw error;
    }
  }
  const logger = ctx.logger();
  const report = await withNamespace(options.storage, ctx, async (namespace, description) => {
    const started = Date.now();
    logger.info(options.dryRun ? 'garbage collection dry run started' : 'garbage collection started', {
      storage: description,
    });
    const ticker = setInterval(() => {
      logger.info('garbage collection running', { seconds: Math.round((Date.now() - started) / 1000) });
    }, 5000);
    try {
      return await garbageCollect(namespace, {
        dryRun: options.dryRun ?? false,
        deleteUntagged: options.deleteUntagged ?? false,
        gracePeriodMs,
        // A pull-through cache serving from this storage keeps its index here: what it holds stays.
        extraRoots: savedCacheRoots(namespace.driver),
        logger,
      });
    } finally {
      clearInterval(ticker);
    }
  });
  ctx.out.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

function formatReport(report: GarbageCollectReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `${report.dryRun ? 'dry run: nothing was changed' : 'garbage collection done'}`,
    table([
      ['repositories', String(report.repositories)],
      ['manifests kept', String(report.manifestsKept)],
      ...(report.extraRoots > 0 ? [['kept for the proxy cache', `${report.extraRoots} digest(s)`]] : []),
      [`manifests ${verb}`, String(report.manifestsDeleted.length)],
      [`layer links ${verb}`, String(report.layerLinksRemoved)],
      ['blobs kept', String(report.blobsKept)],
      [`blobs ${verb}`, `${report.blobsDeleted} (${size(report.bytesDeleted)})`],
      ['blobs spared (grace period)', String(report.blobsInGracePeriod)],
      [`expired uploads ${verb}`, `${report.uploadsPurged} (${size(report.uploadBytesPurged)})`],
      [`abandoned upload sessions ${verb}`, String(report.leftoverSessions)],
      [`stale temporary files ${verb}`, String(report.leftoverTemporaryFiles)],
    ]).trimEnd(),
  ];
  for (const manifest of report.manifestsDeleted)
    lines.push(`  ${verb} ${manifest.repository}@${manifest.digest}`);
  return `${lines.join('\n')}\n`;
}

function size(bytes: number): string {
  return bytes === 0 ? '0 B' : formatSize(bytes);
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
