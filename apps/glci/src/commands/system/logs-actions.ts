import { truncate, unlink } from 'node:fs/promises';
import { DaemonClient, logFiles } from '@glci/daemon/client';
import type { CliContext } from '../../cli-context.js';
import { daemonSettings } from '../daemon/daemon-session.js';
import { formatTable, humanSize } from './format.js';

/** `glci system logs info`: the daemon log and its rotations, with sizes. */
export async function logsInfoCommand(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const file = daemonSettings(ctx).logFile;
  const files = await logFiles(file);
  const totalBytes = files.reduce((sum, log) => sum + log.size, 0);
  if (options.json) {
    ctx.out.write(`${JSON.stringify({ file, files, totalBytes }, null, 2)}\n`);
    return;
  }
  if (files.length === 0) {
    ctx.out.write(`Daemon log: ${file} (not written yet)\n`);
    return;
  }
  ctx.out.write(`Daemon log: ${file}\n\n`);
  ctx.out.write(
    formatTable(
      ['FILE', 'SIZE'],
      files.map((log) => [log.path, humanSize(log.size)]),
    ),
  );
  ctx.out.write(`\nTotal: ${humanSize(totalBytes)}\n`);
}

/**
 * `glci system logs clean`: removes the daemon log and its rotations. A running daemon keeps its
 * log open, so its current log is emptied instead of removed (it goes on writing to it).
 */
export async function logsCleanCommand(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const settings = daemonSettings(ctx);
  const running =
    (await new DaemonClient({ socketPath: settings.socket }).ping().catch(() => undefined)) !== undefined;
  const removed: string[] = [];
  let emptied: string | undefined;
  let freedBytes = 0;
  for (const log of await logFiles(settings.logFile)) {
    if (log.generation === 0 && running) {
      await truncate(log.path, 0);
      emptied = log.path;
    } else {
      await unlink(log.path);
      removed.push(log.path);
    }
    freedBytes += log.size;
  }
  if (options.json) {
    ctx.out.write(`${JSON.stringify({ removed, emptied: emptied ?? null, freedBytes }, null, 2)}\n`);
    return;
  }
  if (removed.length === 0 && !emptied) {
    ctx.out.write('No daemon log to clean.\n');
    return;
  }
  for (const file of removed) ctx.out.write(`Removed ${file}\n`);
  if (emptied) ctx.out.write(`Emptied ${emptied} (the daemon is running and keeps writing to it)\n`);
  ctx.out.write(`Freed ${humanSize(freedBytes)}\n`);
}
