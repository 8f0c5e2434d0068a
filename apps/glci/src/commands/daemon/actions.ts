import { stat } from 'node:fs/promises';
import { loadConfig, resolveDaemon } from '@glci/config';
import { DaemonClient, followLines, readLastLines, shortBuildIdentity } from '@glci/daemon/client';
import { cliBuildInfo } from '../../build-info.js';
import type { CliContext } from '../../cli-context.js';
import { CommandExit } from '../../command-exit.js';
import { connectDaemon, daemonSettings } from './daemon-session.js';
import { formatLogLine, formatStatus } from './format.js';

/**
 * What `glci daemon …` does. Loaded only when such a command runs; the client side only
 * (`@glci/daemon/client`), except `daemon run`, which loads the server.
 */

export async function statusCommand(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const settings = daemonSettings(ctx);
  const status = await new DaemonClient({ socketPath: settings.socket }).ping();
  if (options.json) {
    ctx.out.write(
      `${JSON.stringify(status ? { running: true, ...status } : { running: false, socket: settings.socket }, null, 2)}\n`,
    );
    return;
  }
  ctx.out.write(
    status ? formatStatus(status) : `The glci daemon is not running (socket ${settings.socket}).\n`,
  );
}

export async function startCommand(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const { status, outcome, spawnedPid } = await connectDaemon(ctx);
  if (options.json) {
    ctx.out.write(
      `${JSON.stringify({ outcome, pid: status.pid, spawnedPid, build: status.build }, null, 2)}\n`,
    );
    return;
  }
  const what = { running: 'is already running', started: 'started', restarted: 'restarted' }[outcome];
  ctx.out.write(`The glci daemon ${what} (pid ${status.pid}, commit ${shortBuildIdentity(status.build)}).\n`);
}

export async function stopCommand(
  ctx: CliContext,
  options: { force?: boolean; json?: boolean; timeout: number },
): Promise<void> {
  const client = new DaemonClient({ socketPath: daemonSettings(ctx).socket });
  const status = await client.ping();
  if (!status) {
    ctx.out.write(
      options.json
        ? `${JSON.stringify({ stopped: false, running: false })}\n`
        : 'The glci daemon is not running.\n',
    );
    return;
  }
  const answer = await client.stop({ graceful: !options.force });
  if (!options.json && answer.graceful && answer.activeWork.length > 0) {
    process.stderr.write(
      `Waiting for ${answer.activeWork.length} active ${answer.activeWork.length === 1 ? 'task' : 'tasks'} to finish (glci daemon stop --force cancels them):\n${answer.activeWork
        .map((work) => `  ${work.kind} ${work.id}${work.description ? `: ${work.description}` : ''}\n`)
        .join('')}`,
    );
  }
  await client.waitUntilStopped({ pid: answer.pid, timeoutMs: options.timeout });
  ctx.out.write(
    options.json
      ? `${JSON.stringify({ stopped: true, pid: answer.pid, graceful: answer.graceful })}\n`
      : `The glci daemon stopped (pid ${answer.pid}).\n`,
  );
}

export async function logsCommand(
  ctx: CliContext,
  options: { follow?: boolean; lines: number; json?: boolean },
): Promise<void> {
  const file = daemonSettings(ctx).logFile;
  const print = (line: string) => ctx.out.write(`${options.json ? line : formatLogLine(line)}\n`);
  const last = await readLastLines(file, options.lines);
  if (last.length === 0 && !options.follow) {
    process.stderr.write(`glci: the daemon log ${file} is empty or does not exist yet\n`);
  }
  for (const line of last) print(line);
  if (!options.follow) return;
  const { size } = await stat(file).catch(() => ({ size: 0 }));
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for await (const line of followLines(file, { from: size, signal: controller.signal })) print(line);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** `glci daemon run`: the daemon process itself (what `glci daemon start` spawns). */
export async function runCommand(ctx: CliContext, options: { foreground?: boolean }): Promise<void> {
  const [{ runDaemon }, { daemonServices }] = await Promise.all([
    import('@glci/daemon'),
    import('./services.js'),
  ]);
  // The daemon serves every project of the user: only the user's file counts, never a project
  // file found above its working directory.
  const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, projectFile: null });
  const exitCode = await runDaemon({
    settings: resolveDaemon(loaded, ctx.env, { cwd: ctx.cwd }),
    glciHome: loaded.glciHome,
    build: cliBuildInfo(),
    services: await daemonServices(ctx),
    foreground: options.foreground ?? false,
  });
  // runDaemon has said why on stderr (the CLI that spawned it shows that).
  if (exitCode !== 0) throw new CommandExit(exitCode);
}
