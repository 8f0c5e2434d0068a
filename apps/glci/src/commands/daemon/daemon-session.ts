import { mkdirSync } from 'node:fs';
import { type ResolvedDaemon, resolveDaemon } from '@glci/config';
import { type DaemonCommand, type EnsuredDaemon, ensureDaemon } from '@glci/daemon/client';
import { cliBuildInfo } from '../../build-info.js';
import type { CliContext } from '../../cli-context.js';

/** The daemon settings from the configuration (GLCI_DAEMON_SOCK wins for the socket). */
export function daemonSettings(ctx: CliContext): ResolvedDaemon {
  return resolveDaemon(ctx.config(), ctx.env, { cwd: ctx.cwd });
}

/**
 * How this CLI starts its daemon: the same node, the same loader flags (tsx when run from
 * sources) and the same entry, with the hidden `daemon run` command. The socket is passed in
 * GLCI_DAEMON_SOCK so the daemon listens where this CLI looks, whatever the daemon's own
 * working directory's configuration says; it runs in GLCI_HOME, not in the project.
 */
export function daemonCommand(ctx: CliContext, settings: ResolvedDaemon): DaemonCommand {
  const { glciHome } = ctx.config();
  mkdirSync(glciHome, { recursive: true });
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell how this glci was started, so it cannot start its daemon');
  return {
    command: process.execPath,
    args: [...process.execArgv, entry, 'daemon', 'run'],
    cwd: glciHome,
    env: { ...ctx.env, GLCI_DAEMON_SOCK: settings.socket },
  };
}

/**
 * A running daemon of this build: started when there is none, restarted when it is idle and of
 * another build. What it says about restarts goes to stderr. `glci run` connects through this.
 */
export async function connectDaemon(ctx: CliContext): Promise<EnsuredDaemon> {
  const settings = daemonSettings(ctx);
  return ensureDaemon({
    socketPath: settings.socket,
    build: cliBuildInfo(),
    command: daemonCommand(ctx, settings),
    notify: (message) => process.stderr.write(`glci: ${message}\n`),
  });
}
